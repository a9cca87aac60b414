/*
 * The demo publisher: the official Flashphoner WebSDK publishing the local camera and
 * microphone to this server. Query parameters (for tests and links): server, name,
 * rtmpUrl, width, height, minBitrate, maxBitrate, contentHint, autostart=1.
 * State for scripts is kept in window.publisherState (relay state in .relay).
 *
 * The relay controls talk to the REST API of the same origin (rest-api/push/*): startup
 * with the published name, find every second while relaying, terminate, mute, unmute.
 * Text from the server only ever reaches the page through textContent.
 */
(function () {
  'use strict';
  var SESSION_STATUS = Flashphoner.constants.SESSION_STATUS;
  var STREAM_STATUS = Flashphoner.constants.STREAM_STATUS;
  var params = new URLSearchParams(window.location.search);
  var $ = function (id) { return document.getElementById(id); };
  var state = window.publisherState = { session: 'NEW', status: 'NEW', info: '', error: '', width: 0, height: 0, history: [] };
  var session = null;
  var stream = null;
  var initialized = null;

  function defaultServer() {
    var secure = window.location.protocol === 'https:';
    return (secure ? 'wss://' : 'ws://') + (window.location.hostname || 'localhost') + ':' + (secure ? 8443 : 8080);
  }

  $('server').value = params.get('server') || defaultServer();
  if (params.get('name')) $('name').value = params.get('name');
  if (params.get('rtmpUrl')) $('rtmpUrl').value = params.get('rtmpUrl');

  function show() {
    $('sessionStatus').textContent = state.session;
    $('streamStatus').textContent = state.status + (state.info ? ' (' + state.info + ')' : '');
    $('streamStatus').className = 'status ' + state.status;
    $('resolution').textContent = state.width ? state.width + 'x' + state.height : '-';
    $('error').textContent = state.error;
    $('start').disabled = state.status === 'PENDING' || state.status === 'PUBLISHING';
    $('stop').disabled = state.status !== 'PUBLISHING' && state.status !== 'PENDING';
    showRelay();
  }

  function setStream(status, info) {
    state.status = status;
    state.info = info || '';
    state.history.push(status);
    if (status === 'FAILED') state.error = info || 'publishing failed';
    show();
  }

  function watchResolution() {
    var video = document.querySelector('#display video');
    if (video && video.videoWidth) {
      state.width = video.videoWidth;
      state.height = video.videoHeight;
      show();
    }
    if (state.status === 'PUBLISHING' || state.status === 'PENDING') setTimeout(watchResolution, 500);
  }

  function publish() {
    var width = Number(params.get('width')) || 1280;
    var height = Number(params.get('height')) || 720;
    var options = {
      name: $('name').value,
      display: $('display'),
      cacheLocalResources: false,
      receiveVideo: false,
      receiveAudio: false,
      constraints: { audio: true, video: { width: width, height: height } }
    };
    var rtmpUrl = $('rtmpUrl').value.trim();
    if (rtmpUrl) options.rtmpUrl = rtmpUrl;
    // The server starts that relay itself; the relay panel follows it once publishing.
    relayFromPublish = rtmpUrl;
    // 'detail' keeps the camera's resolution and lowers the frame rate under congestion; the
    // WebSDK's default 'motion' makes Chromium start at a fraction of the resolution and
    // climb for seconds, which an RTMP relay passes on as a mid-stream resolution change.
    options.videoContentHint = params.get('contentHint') || 'detail';
    // The WebSDK reads bitrate wishes (kbit/s) from the video constraints and sends them in publishStream.
    if (params.get('minBitrate')) options.constraints.video.minBitrate = Number(params.get('minBitrate'));
    if (params.get('maxBitrate')) options.constraints.video.maxBitrate = Number(params.get('maxBitrate'));
    // ?stripCodecs=H264: the WebSDK removes those codecs from the offer (a VP8/VP9-only publisher, as Firefox without OpenH264).
    if (params.get('stripCodecs')) options.stripCodecs = params.get('stripCodecs');
    stream = session.createStream(options)
      .on(STREAM_STATUS.PUBLISHING, function (s) { setStream('PUBLISHING', s.getInfo()); watchResolution(); followRelayFromPublish(); })
      .on(STREAM_STATUS.UNPUBLISHED, function (s) { setStream('UNPUBLISHED', s.getInfo()); })
      .on(STREAM_STATUS.FAILED, function (s) { setStream('FAILED', s.getInfo() || s.getErrorInfo && s.getErrorInfo()); });
    setStream('PENDING');
    stream.publish();
  }

  function start() {
    state.error = '';
    initialized = initialized || Flashphoner.init({});
    Promise.resolve(initialized).then(function () {
      if (session && session.status() === SESSION_STATUS.ESTABLISHED) { publish(); return; }
      session = Flashphoner.createSession({ urlServer: $('server').value })
        .on(SESSION_STATUS.ESTABLISHED, function () { state.session = 'ESTABLISHED'; show(); publish(); })
        .on(SESSION_STATUS.DISCONNECTED, function () { state.session = 'DISCONNECTED'; show(); })
        .on(SESSION_STATUS.FAILED, function () { state.session = 'FAILED'; state.error = 'connection to the server failed'; show(); })
        .on(SESSION_STATUS.WARN, function (w) { state.error = (w && w.info) || 'server warning'; show(); });
    }).catch(function (e) { state.error = String(e && e.message || e); show(); });
  }

  function stop() {
    if (stream) stream.stop();
  }

  /** The name the camera is published under (what /push/startup calls streamName). */
  function streamName() {
    return stream ? stream.name() : $('name').value;
  }

  // -------------------------------------------------------------------------
  // Resolution changes mid-stream

  /** The camera track the peer connection sends: the WebSDK shows that same MediaStream in #display. */
  function localVideoTrack() {
    var video = document.querySelector('#display video');
    var media = video && video.srcObject;
    var track = media && media.getVideoTracks ? media.getVideoTracks()[0] : undefined;
    return track && track.readyState === 'live' ? track : undefined;
  }

  /**
   * Applies a new size to the published video track; the encoder follows, so the server
   * sees new SPS with the new size. Resolves with the size the track reports.
   */
  function setResolution(width, height) {
    var track = localVideoTrack();
    if (!track) return Promise.reject(new Error('no published video track'));
    return track.applyConstraints({ width: { exact: width }, height: { exact: height } })
      .catch(function (e) {
        // A camera may refuse an exact size; the WebSDK reopens it with the size as an ideal.
        if (stream && state.status === 'PUBLISHING') return stream.updateVideoResolution({ width: width, height: height });
        throw e;
      })
      .then(function () {
        var t = localVideoTrack();
        var s = t ? t.getSettings() : {};
        return { width: s.width || 0, height: s.height || 0 };
      });
  }

  // -------------------------------------------------------------------------
  // REST client (same origin). 401 shows a credentials field; the value stays in this tab.

  var common = window.RtmpTransponderPage;
  function rest(method, body) {
    return common.call(method, body, function () { $('auth').hidden = false; });
  }
  var describeError = common.describeError;

  // -------------------------------------------------------------------------
  // Relay: one transponder of this page's stream, followed with find every second

  var TERMINAL = { TERMINATED: true, FAILED: true, ENDED: true };
  var relay = state.relay = {
    mediaSessionId: '', status: 'NONE', reason: '', streamName: '', destination: '',
    muted: false, soundEnabled: false, transcoding: false, width: 0, height: 0,
    bitrateKbps: 0, framesSent: 0, framesDropped: 0, restoreAttempts: 0, bufferMs: 0,
    error: '', polls: 0
  };
  var relayUrl = '';           // the URL the followed transponder was started with
  var relayFromPublish = '';   // the rtmpUrl given to the WebSDK at publish, if any
  var relayBusy = false;
  var pollTimer = null;
  var pollGeneration = 0;

  function relayActive() {
    return relay.mediaSessionId !== '' && !TERMINAL[relay.status];
  }

  function showRelay() {
    var active = relayActive();
    $('relayStatus').textContent = relay.status === 'NONE' ? '-' : relay.status + (relay.reason && relay.status !== 'PUBLISHING' ? ' (' + relay.reason + ')' : '');
    $('relayStatus').className = 'status ' + relay.status;
    $('relayBitrate').textContent = active ? relay.bitrateKbps + ' kbit/s' : '-';
    $('relayFrames').textContent = active ? relay.framesSent + ' sent, ' + relay.framesDropped + ' dropped' : '-';
    $('relayAudio').textContent = active ? (relay.muted ? 'muted' : 'on') + (relay.soundEnabled ? ', sound file mixed in' : '') : '-';
    $('relayDestination').textContent = relay.destination
      ? relay.destination + (relay.streamName ? '  →  ' + relay.streamName : '') + (relay.transcoding ? '  (transcoded to ' + relay.width + 'x' + relay.height + ')' : '')
      : '-';
    $('relayError').textContent = relay.error;
    $('relayStart').disabled = relayBusy || active || state.status !== 'PUBLISHING';
    $('relayStop').disabled = relayBusy || !active;
    $('relayMute').disabled = relayBusy || !active || relay.muted;
    $('relayUnmute').disabled = relayBusy || !active || !relay.muted;
  }

  function track(info) {
    if (!info || typeof info !== 'object') return;
    var stats = info.stats || {};
    relay.mediaSessionId = String(info.mediaSessionId || '');
    relay.status = String(info.status || 'UNKNOWN');
    relay.reason = info.reason ? String(info.reason) : '';
    relay.streamName = maskPublishedName(String(info.streamName || ''), String(info.rtmpUrl || ''));
    relay.destination = maskRtmpUrl(String(info.rtmpUrl || ''));
    relay.muted = info.muted === true;
    relay.soundEnabled = info.soundEnabled === true;
    relay.transcoding = info.transcoding === true;
    relay.width = Number(info.width) || 0;
    relay.height = Number(info.height) || 0;
    relay.bitrateKbps = Number(stats.bitrateKbps) || 0;
    relay.framesSent = Number(stats.framesSent) || 0;
    relay.framesDropped = Number(stats.framesDropped) || 0;
    relay.restoreAttempts = Number(stats.restoreAttempts) || 0;
    relay.bufferMs = Number(stats.bufferMs) || 0;
    if (stats.lastError && relay.status !== 'PUBLISHING' && !relay.reason) relay.reason = String(stats.lastError);
    relayUrl = String(info.rtmpUrl || relayUrl);
  }

  function stopPolling() {
    pollGeneration++;
    if (pollTimer) clearTimeout(pollTimer);
    pollTimer = null;
  }

  /**
   * Follows the transponder with find every second until it ends. Without an id yet (a
   * relay the server started from publishStream.rtmpUrl), it is picked out by its URL.
   */
  function startPolling() {
    stopPolling();
    var generation = pollGeneration;
    var misses = 0;
    function poll() {
      pollTimer = null;
      var name = streamName();
      rest('find', { streamName: name }).then(function (list) {
        if (generation !== pollGeneration) return;
        relay.polls++;
        var found = (Array.isArray(list) ? list : []).filter(function (t) {
          return relay.mediaSessionId ? t.mediaSessionId === relay.mediaSessionId : t.rtmpUrl === relayUrl;
        })[0];
        if (found) {
          track(found);
          relay.error = '';
        } else if (relay.mediaSessionId) {
          relay.status = 'ENDED';
        } else {
          misses++;
        }
        showRelay();
        next();
      }, function (err) {
        if (generation !== pollGeneration) return;
        relay.polls++;
        if (err.status === 404) {
          // find answers 404 when the stream has no transponder (any more).
          if (relay.mediaSessionId) relay.status = 'ENDED';
          else misses++;
        } else {
          relay.error = describeError(err);
        }
        showRelay();
        next();
      });
      function next() {
        if (generation !== pollGeneration) return;
        var waiting = !relay.mediaSessionId && misses < 15 && state.status === 'PUBLISHING';
        if (relayActive() || waiting) pollTimer = setTimeout(poll, 1000);
      }
    }
    poll();
  }

  function followRelayFromPublish() {
    if (!relayFromPublish || relayActive()) return;
    relayUrl = relayFromPublish;
    relay.mediaSessionId = '';
    relay.status = 'NONE';
    relay.error = '';
    startPolling();
  }

  function numberField(id) {
    var v = $(id).value.trim();
    return v === '' ? undefined : Number(v);
  }

  /**
   * POST /push/startup for the published stream. opts: fullUrl, width, height, fps,
   * bitrate, keyFrameInterval (numbers; absent or 0 = as published), options (WCS startup
   * options, e.g. {action: 'mute'}). Resolves with the transponder, rejects with the API's error.
   */
  function startRelay(url, opts) {
    opts = opts || {};
    var body = { streamName: streamName(), rtmpUrl: String(url || '').trim() };
    if (opts.fullUrl !== undefined) body.rtmpTransponderFullUrl = !!opts.fullUrl;
    ['width', 'height', 'fps', 'bitrate', 'keyFrameInterval'].forEach(function (k) {
      if (opts[k] !== undefined && opts[k] !== null && opts[k] !== '') body[k] = Number(opts[k]);
    });
    if (opts.options) body.options = opts.options;
    relayBusy = true;
    relay.error = '';
    showRelay();
    return rest('startup', body).then(function (info) {
      relayBusy = false;
      stopPolling();
      track(info);
      startPolling();
      showRelay();
      return info;
    }, function (err) {
      relayBusy = false;
      relay.error = 'Start relay: ' + describeError(err);
      showRelay();
      throw err;
    });
  }

  /** terminate / mute / unmute of the followed transponder. */
  function relayCommand(method) {
    if (!relay.mediaSessionId) return Promise.reject(new Error('no relay'));
    relayBusy = true;
    showRelay();
    return rest(method, { mediaSessionId: relay.mediaSessionId }).then(function () {
      relayBusy = false;
      if (method === 'mute') relay.muted = true;
      if (method === 'unmute') relay.muted = false;
      if (method === 'terminate') { stopPolling(); relay.status = 'TERMINATED'; relay.reason = 'terminated from this page'; }
      relay.error = '';
      showRelay();
    }, function (err) {
      relayBusy = false;
      relay.error = method + ': ' + describeError(err);
      showRelay();
      throw err;
    });
  }

  var maskRtmpUrl = common.maskRtmpUrl;
  var maskPublishedName = common.maskPublishedName;

  function ignore() { /* the error is on the page already */ }

  $('relayStart').addEventListener('click', function () {
    var url = $('rtmpUrl').value.trim();
    if (!url) { relay.error = 'Enter the RTMP URL to relay to.'; showRelay(); return; }
    startRelay(url, {
      fullUrl: $('fullUrl').checked ? true : undefined,
      width: numberField('tWidth'),
      height: numberField('tHeight'),
      fps: numberField('tFps'),
      bitrate: numberField('tBitrate'),
      keyFrameInterval: numberField('tKeyFrameInterval')
    }).catch(ignore);
  });
  $('relayStop').addEventListener('click', function () { relayCommand('terminate').catch(ignore); });
  $('relayMute').addEventListener('click', function () { relayCommand('mute').catch(ignore); });
  $('relayUnmute').addEventListener('click', function () { relayCommand('unmute').catch(ignore); });
  $('authSave').addEventListener('click', function () {
    common.saveAuth($('authValue').value.trim());
    $('authValue').value = '';
    $('auth').hidden = true;
    relay.error = '';
    showRelay();
    if (relay.mediaSessionId || relayUrl) startPolling();
  });

  window.publisherApi = {
    start: start,
    stop: stop,
    disconnect: function () { if (session) session.disconnect(); },
    streamName: streamName,
    setResolution: setResolution,
    relay: startRelay,
    stopRelay: function () { return relayCommand('terminate'); },
    muteRelay: function () { return relayCommand('mute'); },
    unmuteRelay: function () { return relayCommand('unmute'); },
    maskRtmpUrl: maskRtmpUrl
  };
  $('start').addEventListener('click', start);
  $('stop').addEventListener('click', stop);
  show();
  if (params.get('autostart') === '1') start();
})();
