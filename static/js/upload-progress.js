/* Document uploads: a progress bar while htmx sends the file; 4xx answers (a refused file) are shown in place. Without this, the forms post normally. */
(function () {
  'use strict';
  if (!window.htmx) return;
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
  // Preview of the chosen image before it is sent.
  document.body.addEventListener('change', function (evt) {
    var input = evt.target;
    if (!input.matches || !input.matches('form.referee-upload input[type=file]') || !input.files || !input.files[0]) return;
    var file = input.files[0];
    if (!/^image\//.test(file.type)) return;
    var img = input.form.querySelector('img.referee-preview') || document.createElement('img');
    img.className = 'referee-preview';
    img.alt = input.form.getAttribute('data-preview-text') || '';
    img.width = 240;
    var reader = new FileReader(); // a data: URL (the CSP allows data: images, not blob:)
    reader.onload = function () { img.src = reader.result; };
    reader.readAsDataURL(file);
    input.form.insertBefore(img, input.form.querySelector('.referee-upload-progress'));
  });
})();
