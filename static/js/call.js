/* The video call on Jitsi Meet (IFrame API): opens the room the server chose and reports the call's events. */
(function () {
  'use strict';
  var node = document.getElementById('jitsi-call');
  if (!node || typeof window.JitsiMeetExternalAPI !== 'function') return;
  var csrf = document.querySelector('meta[name="csrf-token"]');
  var options = {
    roomName: node.getAttribute('data-room'),
    parentNode: node,
    width: '100%',
    height: 540,
    userInfo: { displayName: node.getAttribute('data-display-name') }
  };
  var jwt = node.getAttribute('data-jwt');
  if (jwt) options.jwt = jwt;
  // Jitsi's own buttons and messages in the page's language (both ways the IFrame API takes it).
  var lang = document.documentElement.getAttribute('lang');
  if (lang) {
    options.lang = lang;
    options.configOverwrite = { defaultLanguage: lang };
  }
  var api = new window.JitsiMeetExternalAPI(node.getAttribute('data-domain'), options);

  function report(event) {
    var body = new URLSearchParams({ callId: node.getAttribute('data-call-id'), event: event });
    fetch('/call/events', {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'X-CSRF-Token': csrf ? csrf.getAttribute('content') : '' },
      body: body.toString()
    });
  }
  api.addListener('videoConferenceJoined', function () { report('joined'); });
  api.addListener('videoConferenceLeft', function () { report('left'); });
  api.addListener('recordingStatusChanged', function (e) { report(e && e.on ? 'recording_on' : 'recording_off'); });
  api.addListener('readyToClose', function () {
    report('ready_to_close');
    if (node.getAttribute('data-role') === 'applicant') window.location.assign('/call');
  });
})();
