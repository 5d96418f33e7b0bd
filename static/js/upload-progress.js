/*
 * Document uploads. Without this, the forms post normally.
 * - A progress bar while htmx sends the files; 4xx answers (a refused file) are shown in place.
 * - The file picked for a side is named (and previewed) under its buttons: the native input is visually hidden.
 * - On a computer (a fine pointer, no touch), Take Photo opens "Take photos with your phone" instead of a file picker.
 */
(function () {
  'use strict';
  if (window.htmx) {
    document.body.addEventListener('htmx:xhr:progress', function (evt) {
      var form = evt.target.closest && evt.target.closest('form.referee-upload');
      var bar = form && form.querySelector('.referee-upload-progress');
      if (!bar || !evt.detail.lengthComputable) return;
      bar.hidden = false;
      bar.value = Math.round((evt.detail.loaded / evt.detail.total) * 100);
    });
    document.body.addEventListener('htmx:beforeSwap', function (evt) {
      var status = evt.detail.xhr.status;
      // The event fires on the target (#documents); the form that sent the file is the request's element.
      var source = evt.detail.requestConfig && evt.detail.requestConfig.elt;
      if (source && source.closest && source.closest('form.referee-upload') && status >= 400 && status < 500) {
        evt.detail.shouldSwap = true;
        evt.detail.isError = false;
      }
    });
  }
  // The name and a preview of the file picked, before it is sent.
  document.body.addEventListener('change', function (evt) {
    var input = evt.target;
    if (!input.matches || !input.matches('form.referee-upload input[type=file]') || !input.files || !input.files[0]) return;
    var group = input.closest('.referee-pickers');
    var chosen = group && group.querySelector('.referee-pickers__chosen');
    if (!chosen) return;
    // The other button of the same side is cleared: one file per side.
    group.querySelectorAll('input[type=file]').forEach(function (other) { if (other !== input) other.value = ''; });
    var file = input.files[0];
    chosen.textContent = (input.form.getAttribute('data-chosen-text') || '') + ' ' + file.name;
    if (!/^image\//.test(file.type)) return;
    var img = document.createElement('img');
    img.className = 'referee-preview';
    img.alt = input.form.getAttribute('data-preview-text') || '';
    var reader = new FileReader(); // a data: URL (the CSP allows data: images, not blob:)
    reader.onload = function () { img.src = reader.result; };
    reader.readAsDataURL(file);
    chosen.appendChild(img);
  });
  // Take Photo on a computer: the phone's camera, through a link by text message.
  var phone = document.getElementById('take-photo');
  var computer = window.matchMedia && window.matchMedia('(pointer: fine)').matches && !('ontouchstart' in window);
  if (phone && computer) {
    document.body.addEventListener('click', function (evt) {
      var input = evt.target;
      if (!input.matches || !input.matches('form.referee-upload input[capture]')) return;
      evt.preventDefault();
      phone.open = true;
      phone.scrollIntoView({ block: 'start' });
      var number = document.getElementById('number');
      if (number) number.focus({ preventScroll: true });
    });
  }
})();
