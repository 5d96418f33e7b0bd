/* Document review console: zoom and rotate each image in place. Without this file the image links open the full picture. */
(function () {
  'use strict';
  document.querySelectorAll('img[data-zoomable]').forEach(function (img) {
    // The buttons' words come from the page, in the reader's language.
    var words = img.closest('[data-rotate-text]');
    if (!words) return;
    var state = { turn: 0, zoom: 1 };
    var bar = document.createElement('div');
    bar.className = 'referee-image-tools';
    function apply() {
      // CSSOM, not a style attribute: allowed by the page's CSP.
      img.style.transform = 'rotate(' + state.turn * 90 + 'deg) scale(' + state.zoom + ')';
      img.style.transformOrigin = 'center center';
    }
    [
      [words.dataset.rotateText, function () { state.turn = (state.turn + 1) % 4; }],
      [words.dataset.zoomInText, function () { state.zoom = Math.min(4, state.zoom * 1.5); }],
      [words.dataset.zoomOutText, function () { state.zoom = Math.max(1, state.zoom / 1.5); }],
    ].forEach(function (tool) {
      var button = document.createElement('button');
      button.type = 'button';
      button.className = 'usa-button usa-button--outline usa-button--small';
      button.textContent = tool[0];
      button.addEventListener('click', function () { tool[1](); apply(); });
      bar.appendChild(button);
    });
    var figure = img.closest('figure');
    if (figure) figure.insertBefore(bar, figure.firstChild);
  });
})();
