/* Referee's progressive enhancements. Every page works without this file. */
(function () {
  'use strict';

  // Controls that only work with JavaScript are hidden in the markup until now.
  document.querySelectorAll('[data-needs-js]').forEach(function (el) { el.hidden = false; });

  // htmx requests carry the anti-CSRF token in a header (forms also send it as _csrf).
  var csrf = document.querySelector('meta[name="csrf-token"]');
  document.body.addEventListener('htmx:configRequest', function (event) {
    if (csrf) event.detail.headers['X-CSRF-Token'] = csrf.getAttribute('content');
  });

  // A form that came back with errors: move focus to the error summary so it is announced.
  var summary = document.querySelector('[data-error-summary]');
  if (summary) summary.focus();

  // "2 minutes" in the page's language (CLDR through Intl), like the server writes it.
  var pageLanguage = document.documentElement.lang || 'en';
  var duration = function (value, unit) {
    try { return new Intl.NumberFormat(pageLanguage, { style: 'unit', unit: unit, unitDisplay: 'long' }).format(value); }
    catch (e) { return value + ' ' + unit + (value === 1 ? '' : 's'); }
  };

  // Session timeout warning, two minutes before the idle limit (WCAG 2.2.1).
  var dialog = document.getElementById('session-timeout');
  if (dialog && typeof dialog.showModal === 'function') {
    var expiresAt = Date.parse(dialog.getAttribute('data-expires-at'));
    var idleMs = Number(dialog.getAttribute('data-idle-seconds')) * 1000;
    var warnBefore = Math.min(2 * 60 * 1000, idleMs / 2);
    var countdown = dialog.querySelector('[data-countdown]');
    var started = Date.now();
    // Measure from the page's own clock: the server's time may differ from this device's.
    var remainingAtLoad = expiresAt - Date.parse(new Date().toISOString());
    var deadline = started + Math.max(remainingAtLoad, 0);
    var tick = function () {
      var left = deadline - Date.now();
      if (left <= 0) {
        window.location.assign('/sign-in?next=' + encodeURIComponent(window.location.pathname));
        return;
      }
      if (left <= warnBefore) {
        if (!dialog.open) dialog.showModal();
        var seconds = Math.ceil(left / 1000);
        countdown.textContent = seconds > 60 ? duration(Math.ceil(seconds / 60), 'minute') : duration(seconds, 'second');
      }
      window.setTimeout(tick, 1000);
    };
    window.setTimeout(tick, 1000);
  }

  // Character counts (views/macros/textarea.njk) in the page's language: each message is written
  // by the server for sample numbers covering every plural form, with {n} for the number; the
  // sample of the same plural form as the count is used (Arabic has six forms, English two).
  var SAMPLES = [0, 1, 2, 3, 11, 100];
  var plural = new Intl.PluralRules(pageLanguage);
  var numbers = new Intl.NumberFormat(pageLanguage);
  document.querySelectorAll('[data-character-count]').forEach(function (root) {
    var field = root.querySelector('textarea');
    var status = root.querySelector('[data-count-status]');
    var live = root.querySelector('[data-count-live]');
    var max = Number(root.getAttribute('data-max'));
    if (!field || !status || !live || !(max > 0)) return;
    var message = function (kind, count) {
      var form = plural.select(count);
      var sample = SAMPLES.filter(function (n) { return plural.select(n) === form; })[0];
      var text = root.getAttribute('data-' + kind + '-' + (sample === undefined ? 100 : sample)) || '';
      return text.replace('{n}', numbers.format(count));
    };
    var timer;
    var update = function (announce) {
      var used = field.value.length;
      var over = used > max;
      var text = used === 0 ? message('allowed', max) : over ? message('over', used - max) : message('left', max - used);
      status.textContent = text;
      status.classList.toggle('usa-character-count__status--invalid', over);
      if (!announce) return;
      // Said once the person pauses, not at every keystroke.
      window.clearTimeout(timer);
      timer = window.setTimeout(function () { live.textContent = text; }, 1000);
    };
    field.addEventListener('input', function () { update(true); });
    update(false); // a form that came back keeps its text: show what is left, without announcing it
  });
})();
