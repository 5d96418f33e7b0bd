/*
 * The video call on Jitsi Meet (IFrame API), for the applicant's call page and the Trusted
 * Referee's console: loads Jitsi's script, opens the room the server chose, reports the
 * call's events, and says next to the video what is happening (connecting, waiting for the
 * other person, reconnecting, or what failed and what to do). The words are the page's own
 * (views/call/_video-status.njk); this file only shows one state at a time.
 * Also the applicant's camera and microphone test (views/call/_device-check.njk).
 */
(function () {
  'use strict';

  // ---- The camera and microphone test --------------------------------------------------------

  var check = document.querySelector('[data-device-check]');
  if (check && navigator.mediaDevices && typeof navigator.mediaDevices.getUserMedia === 'function') {
    check.hidden = false;
    var testButton = check.querySelector('[data-device-test]');
    var result = check.querySelector('[data-device-result]');
    var preview = check.querySelector('[data-device-preview]');
    var level = check.querySelector('[data-device-level]');
    var levelBox = check.querySelector('[data-device-meter]');
    var streams = [];
    var audioContext;

    var outcomeOf = function (error) {
      var name = error && error.name;
      if (name === 'NotAllowedError' || name === 'SecurityError' || name === 'PermissionDeniedError') return 'refused';
      if (name === 'NotFoundError' || name === 'OverconstrainedError' || name === 'DevicesNotFoundError') return 'missing';
      if (name === 'NotReadableError' || name === 'TrackStartError' || name === 'AbortError') return 'busy';
      return 'failed';
    };
    var say = function (device, outcome) {
      check.querySelectorAll('[data-device="' + device + '"]').forEach(function (line) {
        line.hidden = line.getAttribute('data-outcome') !== outcome;
      });
    };
    var stop = function () {
      streams.forEach(function (s) { s.getTracks().forEach(function (track) { track.stop(); }); });
      streams = [];
      if (audioContext) audioContext.close();
      audioContext = undefined;
    };
    // The level as a number the meter shows (and a screen reader reads), from the microphone's loudness.
    var meter = function (stream) {
      var Context = window.AudioContext || window.webkitAudioContext;
      if (!Context || !level) return;
      audioContext = new Context();
      var analyser = audioContext.createAnalyser();
      analyser.fftSize = 256;
      audioContext.createMediaStreamSource(stream).connect(analyser);
      var samples = new Uint8Array(analyser.fftSize);
      var context = audioContext;
      var tick = function () {
        if (audioContext !== context) return;
        analyser.getByteTimeDomainData(samples);
        var peak = 0;
        for (var i = 0; i < samples.length; i++) peak = Math.max(peak, Math.abs(samples[i] - 128));
        level.value = Math.min(100, Math.round((peak / 128) * 200));
        window.requestAnimationFrame(tick);
      };
      tick();
    };
    // Each device on its own, so the page can say which one works.
    var test = function () {
      stop();
      say('camera', '');
      say('microphone', '');
      result.hidden = false;
      // Only what works is shown: the picture of a working camera, the level of a working microphone.
      preview.hidden = true;
      levelBox.hidden = true;
      var camera = navigator.mediaDevices.getUserMedia({ video: true }).then(function (stream) {
        streams.push(stream);
        preview.srcObject = stream;
        preview.hidden = false;
        say('camera', 'works');
      }, function (error) {
        preview.hidden = true;
        say('camera', outcomeOf(error));
      });
      var microphone = navigator.mediaDevices.getUserMedia({ audio: true }).then(function (stream) {
        streams.push(stream);
        meter(stream);
        levelBox.hidden = false;
        say('microphone', 'works');
      }, function (error) {
        say('microphone', outcomeOf(error));
      });
      return Promise.all([camera, microphone]);
    };
    testButton.addEventListener('click', test);
    // Going to the call: the test gives the camera and microphone back.
    window.addEventListener('pagehide', stop);
  }

  // ---- The call -------------------------------------------------------------------------------

  var node = document.getElementById('jitsi-call');
  if (!node) return;
  var role = node.getAttribute('data-role');
  var csrf = document.querySelector('meta[name="csrf-token"]');
  var status = document.querySelector('[data-call-status]');

  /** Shows one state next to the video (or none); a problem takes the keyboard focus to its actions. */
  function show(state) {
    if (!status) return;
    status.setAttribute('data-state', state || '');
    var shown;
    status.querySelectorAll('[data-call-state]').forEach(function (box) {
      box.hidden = box.getAttribute('data-call-state') !== state;
      if (!box.hidden) shown = box;
    });
    if (shown && shown.classList.contains('usa-alert--error')) {
      var retry = shown.querySelector('[data-call-retry]');
      if (retry) retry.focus();
    }
  }
  document.querySelectorAll('[data-call-retry]').forEach(function (button) {
    // Reloading the page opens the same call again: the place (the call the referee holds) is kept.
    button.addEventListener('click', function () { window.location.reload(); });
  });
  document.querySelectorAll('a[href="#device-check"]').forEach(function (link) {
    link.addEventListener('click', function () {
      var target = document.getElementById('device-check');
      if (target) window.setTimeout(function () { target.focus(); }, 0);
    });
  });

  function report(event) {
    var body = new URLSearchParams({ callId: node.getAttribute('data-call-id'), event: event });
    fetch('/call/events', {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'X-CSRF-Token': csrf ? csrf.getAttribute('content') : '' },
      body: body.toString()
    }).catch(function () { /* the call goes on; the record misses one event */ });
  }

  function start() {
    if (typeof window.JitsiMeetExternalAPI !== 'function') return show('script');
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
    var api;
    try {
      api = new window.JitsiMeetExternalAPI(node.getAttribute('data-domain'), options);
    } catch (error) {
      return show('script');
    }
    var others = {};
    var count = function () { return Object.keys(others).length; };
    var joined = false;

    api.addListener('videoConferenceJoined', function () {
      joined = true;
      report('joined');
      show(count() ? 'live' : 'waiting');
    });
    api.addListener('videoConferenceLeft', function () { report('left'); });
    api.addListener('participantJoined', function (e) {
      others[(e && e.id) || 'someone'] = true;
      if (joined) show('live');
    });
    api.addListener('participantLeft', function (e) {
      delete others[(e && e.id) || 'someone'];
      if (joined && !count()) show('left');
    });
    api.addListener('recordingStatusChanged', function (e) { report(e && e.on ? 'recording_on' : 'recording_off'); });
    api.addListener('cameraError', function () { show('camera'); });
    api.addListener('micError', function () { show('microphone'); });
    // A media connection that failed is retried by Jitsi: reconnecting until it says otherwise.
    api.addListener('peerConnectionFailure', function () { show('reconnecting'); });
    api.addListener('errorOccurred', function (e) {
      if (e && e.isFatal) show('connection');
      else if (e && e.type === 'CONNECTION') show('reconnecting');
    });
    api.addListener('readyToClose', function () {
      report('ready_to_close');
      if (role === 'applicant') window.location.assign('/call');
    });
  }

  // Jitsi's script, loaded here so that a blocked or unreachable one is told (its error event).
  show('connecting');
  if (typeof window.JitsiMeetExternalAPI === 'function') {
    start();
  } else {
    var script = document.createElement('script');
    script.src = 'https://' + node.getAttribute('data-domain') + '/external_api.js';
    script.addEventListener('load', start);
    script.addEventListener('error', function () { show('script'); });
    document.head.appendChild(script);
  }
})();
