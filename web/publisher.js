/*
 * The demo publisher: the official Flashphoner WebSDK publishing the local camera and
 * microphone to this server. Query parameters (for tests and links): server, name,
 * rtmpUrl, width, height, minBitrate, maxBitrate, contentHint, autostart=1.
 * State for scripts is kept in window.publisherState.
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
    // 'detail' keeps the camera's resolution and lowers the frame rate under congestion; the
    // WebSDK's default 'motion' makes Chromium start at a fraction of the resolution and
    // climb for seconds, which an RTMP relay passes on as a mid-stream resolution change.
    options.videoContentHint = params.get('contentHint') || 'detail';
    // The WebSDK reads bitrate wishes (kbit/s) from the video constraints and sends them in publishStream.
    if (params.get('minBitrate')) options.constraints.video.minBitrate = Number(params.get('minBitrate'));
    if (params.get('maxBitrate')) options.constraints.video.maxBitrate = Number(params.get('maxBitrate'));
    stream = session.createStream(options)
      .on(STREAM_STATUS.PUBLISHING, function (s) { setStream('PUBLISHING', s.getInfo()); watchResolution(); })
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

  window.publisherApi = { start: start, stop: stop, disconnect: function () { if (session) session.disconnect(); } };
  $('start').addEventListener('click', start);
  $('stop').addEventListener('click', stop);
  show();
  if (params.get('autostart') === '1') start();
})();
