/* Scheduling: shows the free times in the browser's own time zone the first time (the person can change it). */
(function () {
  'use strict';
  var form = document.getElementById('time-zone-form');
  if (!form || form.getAttribute('data-detect-zone') !== 'yes') return;
  var zone;
  try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone; } catch (e) { return; }
  var select = form.querySelector('select[name="tz"]');
  if (!zone || !select || select.value === zone) return;
  for (var i = 0; i < select.options.length; i++) {
    if (select.options[i].value === zone) { select.value = zone; form.submit(); return; }
  }
})();
