/* A form's hidden time-zone field (data-browser-time-zone) gets the browser's zone, so that dates we send later are in it. */
(function () {
  'use strict';
  var zone;
  try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone; } catch (e) { return; }
  if (!zone) return;
  var fields = document.querySelectorAll('input[data-browser-time-zone]');
  for (var i = 0; i < fields.length; i++) if (!fields[i].value) fields[i].value = zone;
})();
