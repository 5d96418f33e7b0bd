/* Passkeys (WebAuthn) through SimpleWebAuthnBrowser: register one, use one as the second
   factor, or sign in with one alone. The server checks everything; this only relays.
   Its words come from the page (data-*-text, in the reader's language), and the server's
   answers are already in that language. */
(function () {
  'use strict';
  var webauthn = window.SimpleWebAuthnBrowser;
  var csrf = document.querySelector('meta[name="csrf-token"]').getAttribute('content');

  function post(url, body, unreadable) {
    return fetch(url, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf, Accept: 'application/json' },
      body: JSON.stringify(body || {}),
    }).then(function (res) {
      return res.json().catch(function () { return { ok: false, message: unreadable }; });
    });
  }

  function wire(container, kind) {
    var button = container.querySelector('[data-passkey-start]');
    var status = container.querySelector('[data-passkey-status]');
    var next = container.getAttribute('data-next') || '';
    var say = function (name) { return container.getAttribute('data-' + name + '-text') || ''; };
    container.classList.add('is-ready');
    if (!webauthn || !webauthn.browserSupportsWebAuthn()) {
      status.textContent = say('unsupported');
      button.disabled = true;
      return;
    }
    button.addEventListener('click', function () {
      button.disabled = true;
      status.textContent = say('working');
      var urls = {
        register: ['/mfa/setup/passkey/options', '/mfa/setup/passkey'],
        challenge: ['/mfa/challenge/passkey/options', '/mfa/challenge/passkey'],
        confirm: ['/account/confirm/passkey/options', '/account/confirm/passkey'],
        signin: ['/sign-in/passkey/options', '/sign-in/passkey'],
      }[kind];
      post(urls[0], {}, say('unreadable'))
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
          }, say('unreadable'));
        })
        .then(function (result) {
          if (result.ok) {
            status.textContent = say('done');
            window.location.assign(result.redirect);
          } else {
            throw new Error(result.message);
          }
        })
        .catch(function (error) {
          var cancelled = error && (error.name === 'NotAllowedError' || error.name === 'AbortError');
          status.textContent = cancelled ? say('cancelled') : (error && error.message) || say('failed');
          button.disabled = false;
        });
    });
  }

  document.querySelectorAll('[data-passkey-register]').forEach(function (el) { wire(el, 'register'); });
  document.querySelectorAll('[data-passkey-challenge]').forEach(function (el) { wire(el, 'challenge'); });
  document.querySelectorAll('[data-passkey-confirm]').forEach(function (el) { wire(el, 'confirm'); });
  document.querySelectorAll('[data-passkey-signin]').forEach(function (el) { wire(el, 'signin'); });
})();
