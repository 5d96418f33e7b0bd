/* Passkeys (WebAuthn) through SimpleWebAuthnBrowser: register one, use one as the second
   factor, or sign in with one alone. The server checks everything; this only relays. */
(function () {
  'use strict';
  var webauthn = window.SimpleWebAuthnBrowser;
  var csrf = document.querySelector('meta[name="csrf-token"]').getAttribute('content');

  function post(url, body) {
    return fetch(url, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf, Accept: 'application/json' },
      body: JSON.stringify(body || {}),
    }).then(function (res) {
      return res.json().catch(function () { return { ok: false, message: 'Something went wrong. Try again.' }; });
    });
  }

  function wire(container, kind) {
    var button = container.querySelector('[data-passkey-start]');
    var status = container.querySelector('[data-passkey-status]');
    var next = container.getAttribute('data-next') || '';
    container.classList.add('is-ready');
    if (!webauthn || !webauthn.browserSupportsWebAuthn()) {
      status.textContent = "This browser can't use passkeys. Choose another method.";
      button.disabled = true;
      return;
    }
    button.addEventListener('click', function () {
      button.disabled = true;
      status.textContent = 'Follow the instructions from your browser or device…';
      var urls = {
        register: ['/mfa/setup/passkey/options', '/mfa/setup/passkey'],
        challenge: ['/mfa/challenge/passkey/options', '/mfa/challenge/passkey'],
        signin: ['/sign-in/passkey/options', '/sign-in/passkey'],
      }[kind];
      post(urls[0])
        .then(function (options) {
          if (options.ok === false) throw new Error(options.message);
          return kind === 'register'
            ? webauthn.startRegistration({ optionsJSON: options })
            : webauthn.startAuthentication({ optionsJSON: options });
        })
        .then(function (response) {
          var label = container.querySelector('input[name="label"]');
          var remember = container.querySelector('input[name="remember"]');
          return post(urls[1], {
            response: response,
            next: next,
            label: label ? label.value : undefined,
            remember: remember && remember.checked ? 'yes' : undefined,
          });
        })
        .then(function (result) {
          if (result.ok) {
            status.textContent = 'Done. Continuing…';
            window.location.assign(result.redirect);
          } else {
            throw new Error(result.message);
          }
        })
        .catch(function (error) {
          var cancelled = error && (error.name === 'NotAllowedError' || error.name === 'AbortError');
          status.textContent = cancelled ? 'The passkey request was cancelled or timed out. Try again.' : (error && error.message) || 'That did not work. Try again.';
          button.disabled = false;
        });
    });
  }

  document.querySelectorAll('[data-passkey-register]').forEach(function (el) { wire(el, 'register'); });
  document.querySelectorAll('[data-passkey-challenge]').forEach(function (el) { wire(el, 'challenge'); });
  document.querySelectorAll('[data-passkey-signin]').forEach(function (el) { wire(el, 'signin'); });
})();
