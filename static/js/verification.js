/* Verification pages' enhancements. Every page works without this file. */
(function () {
  'use strict';

  // htmx copies 'style' attributes when it settles swapped content (the address fields); the
  // CSP (style-src 'self') forbids inline styles, and our markup has none: settle the rest only.
  if (window.htmx) window.htmx.config.attributesToSettle = ['class', 'width', 'height'];

  // "Show SSN": the number stays masked (a password field) unless the person asks to see it.
  document.querySelectorAll('[data-show-secret]').forEach(function (toggle) {
    var input = document.getElementById(toggle.getAttribute('data-show-secret'));
    var box = toggle.querySelector('input[type="checkbox"]');
    if (!input || !box) return;
    toggle.classList.add('is-ready');
    box.addEventListener('change', function () {
      input.type = box.checked ? 'text' : 'password';
    });
    // Never leave the number in a text field when the form is sent or the page is cached.
    if (input.form) input.form.addEventListener('submit', function () { input.type = 'password'; });
  });
})();
