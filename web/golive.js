/*
 * The go-live page: the camera published to this server with the official WebSDK, and
 * relays to the destinations a streamer adds (YouTube, Facebook, Twitch, any RTMP URL)
 * through the REST API of the same origin: /push/startup with the full URL
 * (rtmpTransponderFullUrl), /push/find every 2 s while live (one call for every
 * destination, with backoff after failures), /push/terminate when one is removed.
 *
 * Stream keys: typed into a password field, kept in this script's memory only (a
 * destination's closure), sent in the startup body and nowhere else; every URL shown
 * goes through the service's redaction rule. No form is submitted (the key never
 * reaches the page URL or history), nothing is written to the console.
 *
 * Query parameters: server, name, width, height, minBitrate, maxBitrate, contentHint,
 * rtmpUrl (handed to the WebSDK, as WCS pages do), autostart=1 — the same as the
 * developer page, so tests drive either — and, for tests and private ingest servers,
 * preset.<platform>=<rtmp url> to replace a preset's servers (e.g.
 * ?preset.youtube=rtmp://127.0.0.1:1935/live2).
 * State for scripts: window.publisherState (with .destinations), window.publisherApi.
 */
(function () {
  'use strict';
  var SESSION_STATUS = Flashphoner.constants.SESSION_STATUS;
  var STREAM_STATUS = Flashphoner.constants.STREAM_STATUS;
  var H = window.StreamHealth;
  var common = window.RtmpTransponderPage;
  var params = new URLSearchParams(window.location.search);
  var $ = function (id) { return document.getElementById(id); };

  var POLL_MS = 2000;
  var POLL_MAX_MS = 30000;
  /** Chart samples: one per poll, so 90 = the last 3 minutes. */
  var CHART_SAMPLES = 90;
  var TERMINAL = { TERMINATED: true, FAILED: true };

  var state = window.publisherState = {
    session: 'NEW', status: 'NEW', info: '', error: '', width: 0, height: 0, history: [],
    destinations: [], polls: 0, authRequired: false
  };
  var session = null;
  var stream = null;
  var initialized = null;
  var previewStream = null;
  var destinations = [];
  var nextId = 1;
  var keyframes = new H.KeyframeTracker(20000);
  var ingest = { hasAudio: undefined, audioKbps: undefined, height: 0 };

  // -------------------------------------------------------------------------
  // Presets (servers replaceable by preset.<platform> for tests and private servers)

  Object.keys(H.PRESETS).forEach(function (platform) {
    var override = params.get('preset.' + platform);
    if (override) H.PRESETS[platform].servers = [override];
  });

  function defaultServer() {
    var secure = window.location.protocol === 'https:';
    return (secure ? 'wss://' : 'ws://') + (window.location.hostname || 'localhost') + ':' + (secure ? 8443 : 8080);
  }

  function randomName() {
    var bytes = new Uint8Array(4);
    crypto.getRandomValues(bytes);
    return 'live-' + Array.prototype.map.call(bytes, function (b) { return ('0' + b.toString(16)).slice(-2); }).join('');
  }

  var publishName = params.get('name') || randomName();
  $('server').value = params.get('server') || defaultServer();
  $('streamName').textContent = publishName;

  // -------------------------------------------------------------------------
  // Messages

  function cameraMessage(err) {
    var name = err && err.name || '';
    var text = String(err && err.message || err || '');
    if (name === 'NotAllowedError' || /permission|not allowed|denied/i.test(text)) {
      return 'The browser was not allowed to use the camera or microphone. Allow them for this site (the camera icon in the address bar), then press “Try camera again”.';
    }
    if (name === 'NotFoundError' || /not found|no device/i.test(text)) return 'No camera or microphone was found. Plug one in, then press “Try camera again”.';
    if (name === 'NotReadableError' || /in use|could not start/i.test(text)) return 'The camera is used by another application. Close it, then press “Try camera again”.';
    if (name === 'OverconstrainedError') return 'The camera cannot give this resolution. Choose a lower one.';
    return 'The camera could not be opened: ' + text;
  }

  function showCameraError(text) {
    $('cameraError').textContent = text;
    $('retryCamera').hidden = !text;
  }

  // -------------------------------------------------------------------------
  // Camera: devices, preview before going live

  function selectedSize() {
    var w = Number(params.get('width'));
    var h = Number(params.get('height'));
    if (w && h) return { width: w, height: h };
    var parts = $('resolution').value.split('x');
    return { width: Number(parts[0]), height: Number(parts[1]) };
  }

  function constraints() {
    var size = selectedSize();
    var video = { width: size.width, height: size.height };
    if ($('camera').value) video.deviceId = { exact: $('camera').value };
    var mic = $('microphone').value;
    var audio = mic === 'none' ? false : (mic ? { deviceId: { exact: mic } } : true);
    return { audio: audio, video: video };
  }

  function fillDevices() {
    if (!navigator.mediaDevices || !navigator.mediaDevices.enumerateDevices) return Promise.resolve();
    return navigator.mediaDevices.enumerateDevices().then(function (devices) {
      [['camera', 'videoinput', 'Camera'], ['microphone', 'audioinput', 'Microphone']].forEach(function (spec) {
        var select = $(spec[0]);
        var chosen = select.value;
        Array.prototype.slice.call(select.options).forEach(function (o) { if (o.value && o.value !== 'none') select.removeChild(o); });
        var n = 0;
        devices.filter(function (d) { return d.kind === spec[1] && d.deviceId && d.deviceId !== 'default'; }).forEach(function (d) {
          var o = document.createElement('option');
          o.value = d.deviceId;
          o.textContent = d.label || (spec[2] + ' ' + (++n));
          select.appendChild(o);
        });
        select.value = chosen;
        if (select.value !== chosen) select.value = '';
      });
    }).catch(function () { /* the default devices stay */ });
  }

  function stopPreview() {
    if (previewStream) previewStream.getTracks().forEach(function (t) { t.stop(); });
    previewStream = null;
    var old = document.querySelector('#display video.preview');
    if (old) old.parentNode.removeChild(old);
  }

  /** The camera shown before going live; the WebSDK shows its own once publishing. */
  function preview() {
    if (isLive()) return Promise.resolve();
    stopPreview();
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      showCameraError('This browser gives the camera only to pages opened over https (or from localhost). Open this page with https://.');
      return Promise.resolve();
    }
    return navigator.mediaDevices.getUserMedia(constraints()).then(function (media) {
      if (isLive()) { media.getTracks().forEach(function (t) { t.stop(); }); return; }
      previewStream = media;
      var video = document.createElement('video');
      video.className = 'preview';
      video.muted = true;
      video.autoplay = true;
      video.playsInline = true;
      video.srcObject = media;
      $('display').appendChild(video);
      $('placeholder').hidden = true;
      showCameraError('');
      return fillDevices();
    }, function (err) {
      $('placeholder').hidden = false;
      showCameraError(cameraMessage(err));
    });
  }

  // -------------------------------------------------------------------------
  // Publishing (WebSDK)

  function isLive() {
    return state.status === 'PUBLISHING' || state.status === 'PENDING';
  }

  function setStream(status, info) {
    state.status = status;
    state.info = info || '';
    state.history.push(status);
    if (status === 'FAILED') {
      var text = info || 'publishing failed';
      state.error = /permission|not allowed|denied|getUserMedia/i.test(text) ? cameraMessage({ message: text }) : 'The stream stopped: ' + text;
    }
    if (status === 'PUBLISHING') {
      destinations.forEach(function (d) { if (d.status === 'WAITING') startDestination(d); });
      poller.start();
      watchResolution();
    }
    if (status === 'UNPUBLISHED' || status === 'FAILED') {
      destinations.forEach(function (d) { if (!d.mediaSessionId) d.status = 'WAITING'; });
      poller.poke();
      setTimeout(preview, 0);
    }
    render();
  }

  function watchResolution() {
    var video = document.querySelector('#display video:not(.preview)');
    if (video && video.videoWidth) {
      state.width = video.videoWidth;
      state.height = video.videoHeight;
    }
    if (isLive()) setTimeout(watchResolution, 500);
  }

  function publish() {
    var c = constraints();
    var hint = Number($('bitrate').value) || 0;
    if (params.get('minBitrate')) c.video.minBitrate = Number(params.get('minBitrate'));
    if (params.get('maxBitrate')) c.video.maxBitrate = Number(params.get('maxBitrate'));
    else if (hint) c.video.maxBitrate = hint;
    var options = {
      name: publishName,
      display: $('display'),
      cacheLocalResources: false,
      receiveVideo: false,
      receiveAudio: false,
      constraints: c,
      // Keeps the camera's resolution and lowers the frame rate under congestion ('motion',
      // the default, starts small and climbs: a resolution change mid-stream on RTMP).
      videoContentHint: params.get('contentHint') || 'detail'
    };
    if (params.get('rtmpUrl')) options.rtmpUrl = params.get('rtmpUrl');
    stream = session.createStream(options)
      .on(STREAM_STATUS.PUBLISHING, function (s) { $('placeholder').hidden = true; setStream('PUBLISHING', s.getInfo()); })
      .on(STREAM_STATUS.UNPUBLISHED, function (s) { setStream('UNPUBLISHED', s.getInfo()); })
      .on(STREAM_STATUS.FAILED, function (s) { setStream('FAILED', s.getInfo() || (s.getErrorInfo && s.getErrorInfo())); });
    setStream('PENDING');
    stopPreview();
    stream.publish();
  }

  function start() {
    state.error = '';
    render();
    initialized = initialized || Flashphoner.init({});
    Promise.resolve(initialized).then(function () {
      if (session && session.status() === SESSION_STATUS.ESTABLISHED) { publish(); return; }
      var url = $('server').value.trim();
      var established = false;
      session = Flashphoner.createSession({ urlServer: url })
        .on(SESSION_STATUS.ESTABLISHED, function () { established = true; state.session = 'ESTABLISHED'; render(); publish(); })
        .on(SESSION_STATUS.DISCONNECTED, function () {
          state.session = 'DISCONNECTED';
          if (isLive()) setStream('FAILED', 'the connection to the server was lost');
          render();
        })
        .on(SESSION_STATUS.FAILED, function () {
          state.session = 'FAILED';
          state.error = established
            ? 'The connection to the streaming server was lost. Press Go live to reconnect.'
            : 'Cannot reach the streaming server at ' + url + '. Is it running? A page opened over https needs a wss:// server.';
          if (isLive()) setStream('FAILED', 'the connection to the server was lost');
          render();
        })
        .on(SESSION_STATUS.WARN, function (w) { state.error = (w && w.info) || 'server warning'; render(); });
    }).catch(function (e) { state.error = String(e && e.message || e); render(); });
  }

  function stop() {
    if (stream) stream.stop();
  }

  /** Applies a new size to the published camera track (the encoder follows). */
  function setResolution(width, height) {
    var video = document.querySelector('#display video:not(.preview)');
    var media = video && video.srcObject;
    var track = media && media.getVideoTracks ? media.getVideoTracks()[0] : undefined;
    if (!track || track.readyState !== 'live') return Promise.reject(new Error('no published video track'));
    return track.applyConstraints({ width: { exact: width }, height: { exact: height } })
      .catch(function (e) {
        if (stream && state.status === 'PUBLISHING') return stream.updateVideoResolution({ width: width, height: height });
        throw e;
      })
      .then(function () {
        var s = track.getSettings();
        return { width: s.width || 0, height: s.height || 0 };
      });
  }

  // -------------------------------------------------------------------------
  // REST (same origin); 401 shows the credentials field and pauses polling

  function rest(path, body) {
    return common.post(path, body, function () {
      state.authRequired = true;
      $('auth').hidden = false;
    });
  }

  // -------------------------------------------------------------------------
  // Destinations

  function newDestination(platform, server, key) {
    var d = {
      id: nextId++, platform: platform, server: server, status: 'WAITING', reason: '', mediaSessionId: '',
      bitrateKbps: 0, framesSent: 0, framesDropped: 0, restores: 0, restoreAttempts: 0, muted: false,
      bitrates: [], error: '', busy: false
    };
    // The key lives in this closure only: not on `d` (which scripts and state can read).
    d.url = function () { return H.destinationUrl(server, key); };
    d.forget = function () { key = ''; };
    return d;
  }

  function publicView(d) {
    return {
      id: d.id, platform: d.platform, server: common.maskRtmpUrl(d.server), status: d.status, reason: d.reason,
      mediaSessionId: d.mediaSessionId, bitrateKbps: d.bitrateKbps, framesDropped: d.framesDropped,
      restores: d.restores, muted: d.muted, error: d.error, health: d.health
    };
  }

  function addDestination() {
    var platform = $('platform').value;
    var preset = H.PRESETS[platform];
    var server = preset.serverEditable && !$('customServer').hidden ? $('customServer').value.trim() : $('presetServer').value;
    var key = $('streamKey').value.trim();
    $('destError').textContent = '';
    if (!/^rtmps?:\/\/[^/\s]+/i.test(server)) { $('destError').textContent = 'Enter the server as rtmp://host/app or rtmps://host:443/app.'; return; }
    if (!key && platform !== 'custom') { $('destError').textContent = 'Paste the stream key ' + preset.label + ' gives you.'; $('streamKey').focus(); return; }
    $('streamKey').value = '';
    var d = newDestination(platform, server, key);
    destinations.push(d);
    if (state.status === 'PUBLISHING') startDestination(d);
    render();
  }

  function startDestination(d) {
    d.busy = true;
    d.status = 'PENDING';
    d.error = '';
    render();
    return rest('push/startup', { streamName: publishName, rtmpUrl: d.url(), rtmpTransponderFullUrl: true }).then(function (info) {
      d.busy = false;
      apply(d, info);
      poller.poke();
      render();
    }, function (err) {
      d.busy = false;
      d.status = err.status === 401 ? 'WAITING' : 'FAILED';
      d.reason = '';
      d.error = err.status === 401 ? 'Waiting for the server credentials (above).' : common.describeError(err);
      render();
    });
  }

  function removeDestination(d) {
    var finish = function () {
      d.forget();
      destinations = destinations.filter(function (x) { return x !== d; });
      render();
    };
    if (!d.mediaSessionId || TERMINAL[d.status]) { finish(); return Promise.resolve(); }
    d.busy = true;
    render();
    return rest('push/terminate', { mediaSessionId: d.mediaSessionId }).then(finish, function (err) {
      d.busy = false;
      // Already gone at the server: nothing left to stop.
      if (err.status === 404) { finish(); return; }
      d.error = 'Could not stop it: ' + common.describeError(err);
      render();
    });
  }

  function restartDestination(d) {
    d.mediaSessionId = '';
    d.bitrates = [];
    if (state.status === 'PUBLISHING') startDestination(d);
    else { d.status = 'WAITING'; render(); }
  }

  function apply(d, info) {
    if (!info || typeof info !== 'object') return;
    var stats = info.stats || {};
    d.mediaSessionId = String(info.mediaSessionId || d.mediaSessionId);
    d.status = String(info.status || 'PENDING');
    d.reason = info.reason ? String(info.reason) : (stats.lastError && d.status !== 'PUBLISHING' ? String(stats.lastError) : '');
    d.muted = info.muted === true;
    d.bitrateKbps = Number(stats.bitrateKbps) || 0;
    d.framesSent = Number(stats.framesSent) || 0;
    d.framesDropped = Number(stats.framesDropped) || 0;
    d.restores = Number(stats.restores) || 0;
    d.restoreAttempts = Number(stats.restoreAttempts) || 0;
    d.height = Number(info.height) || 0;
  }

  /** One poll: this stream's transponders (one call for all) and its ingest figures. */
  function poll() {
    var live = state.status === 'PUBLISHING';
    var following = destinations.some(function (d) { return d.mediaSessionId && !TERMINAL[d.status]; });
    if (!live && !following) return Promise.resolve('stop');
    // Live with no destination: nothing to follow until one is added (its startup pokes).
    if (destinations.length === 0) return Promise.resolve('pause');
    if (state.authRequired) return Promise.resolve('pause');
    return rest('push/find', { streamName: publishName }).catch(function (err) {
      if (err.status === 404) return []; // no transponder (any more)
      throw err;
    }).then(function (list) {
      state.polls++;
      var byId = {};
      (Array.isArray(list) ? list : []).forEach(function (t) { if (t && t.mediaSessionId) byId[t.mediaSessionId] = t; });
      destinations.forEach(function (d) {
        if (!d.mediaSessionId) return;
        var t = byId[d.mediaSessionId];
        if (t) apply(d, t);
        else if (!TERMINAL[d.status]) { d.status = 'TERMINATED'; d.reason = 'the server ended it'; }
        if (d.status === 'PUBLISHING') {
          d.bitrates.push(d.bitrateKbps);
          if (d.bitrates.length > CHART_SAMPLES) d.bitrates.shift();
        }
      });
      $('destError').textContent = '';
      if (!live) return undefined;
      return rest('stream/find', { name: publishName, display: ['metrics'] }).then(function (streams) {
        var s = Array.isArray(streams) ? streams[0] : undefined;
        var m = (s && s.metrics) || {};
        keyframes.add(Date.now(), m.VIDEO_K_FRAMES);
        ingest.hasAudio = s ? s.hasAudio === true : undefined;
        ingest.audioKbps = typeof m.AUDIO_RATE === 'number' ? Math.round(m.AUDIO_RATE / 1000) : undefined;
        ingest.height = (s && s.height) || 0;
      }, function (err) { if (err.status !== 404) throw err; });
    }).then(function () {
      render();
      return state.authRequired ? 'pause' : undefined;
    }, function (err) {
      if (err.status === 401) { render(); return 'pause'; }
      $('destError').textContent = 'Could not read the destinations’ state: ' + common.describeError(err) + ' (retrying, less often)';
      throw err;
    });
  }

  var poller = new common.Poller(poll, POLL_MS, POLL_MAX_MS);

  // -------------------------------------------------------------------------
  // Rendering (textContent only)

  function el(tag, className, text) {
    var n = document.createElement(tag);
    if (className) n.className = className;
    if (text !== undefined) n.textContent = text;
    return n;
  }

  function figures(d) {
    if (d.status !== 'PUBLISHING' && d.status !== 'RESTORING') return '';
    var k = keyframes.interval();
    var parts = [
      d.bitrateKbps + ' kbit/s',
      k ? (k.stalled ? 'no keyframe for ' + k.seconds.toFixed(0) + ' s' : 'keyframe every ' + k.seconds.toFixed(1) + ' s') : 'keyframes: measuring',
      d.muted ? 'audio muted' : ingest.hasAudio === false ? 'no audio' : ingest.hasAudio ? 'audio on' : 'audio: measuring',
      d.framesDropped + ' frame' + (d.framesDropped === 1 ? '' : 's') + ' dropped',
      d.restores + ' reconnect' + (d.restores === 1 ? '' : 's')
    ];
    return parts.join(' · ');
  }

  function renderDestination(d) {
    d.health = H.assess({
      platform: d.platform, status: d.status, reason: d.reason, restoreAttempts: d.restoreAttempts, muted: d.muted,
      bitrates: d.bitrates, height: d.height || ingest.height || state.height, keyframes: keyframes.interval(),
      hasAudio: ingest.hasAudio, audioKbps: ingest.audioKbps
    });
    var li = el('li', 'dest ' + d.health.tone);
    li.setAttribute('data-id', String(d.id));
    li.setAttribute('data-status', d.status);
    var main = el('div');
    main.appendChild(el('div', 'title', H.PRESETS[d.platform].label));
    main.appendChild(el('div', 'server', common.maskRtmpUrl(d.server)));
    main.appendChild(el('div', 'state', d.health.state));
    var f = figures(d);
    if (f) main.appendChild(el('div', 'figures', f));
    if (d.health.warnings.length) {
      var ul = el('ul', 'warnings');
      d.health.warnings.forEach(function (w) { ul.appendChild(el('li', '', w)); });
      main.appendChild(ul);
    }
    if (d.error) main.appendChild(el('div', 'message error', d.error));
    var side = el('div', 'side');
    var chart = el('div', 'chart');
    Sparkline.render(chart, d.bitrates, { width: 180, height: 40, unit: 'kbit/s', title: 'bitrate, last 3 minutes' });
    side.appendChild(chart);
    var buttons = el('div');
    if (d.status === 'FAILED' || d.status === 'TERMINATED') {
      var again = el('button', '', 'Start again');
      again.type = 'button';
      again.setAttribute('data-action', 'restart');
      again.disabled = d.busy;
      again.addEventListener('click', function () { restartDestination(d); });
      buttons.appendChild(again);
      buttons.appendChild(document.createTextNode(' '));
    }
    var remove = el('button', '', 'Remove');
    remove.type = 'button';
    remove.setAttribute('data-action', 'remove');
    remove.disabled = d.busy;
    remove.addEventListener('click', function () { removeDestination(d); });
    buttons.appendChild(remove);
    side.appendChild(buttons);
    li.appendChild(main);
    li.appendChild(side);
    return li;
  }

  function render() {
    var list = $('destinations');
    var focused = document.activeElement && list.contains(document.activeElement) ? document.activeElement.getAttribute('data-action') : null;
    while (list.firstChild) list.removeChild(list.firstChild);
    destinations.forEach(function (d) { list.appendChild(renderDestination(d)); });
    if (focused) { var again = list.querySelector('[data-action="' + focused + '"]'); if (again) again.focus(); }
    $('noDestinations').hidden = destinations.length > 0;
    state.destinations = destinations.map(publicView);

    var live = isLive();
    $('goLive').textContent = live ? 'End stream' : 'Go live';
    $('goLive').className = 'primary' + (live ? ' stop' : '');
    var liveCount = destinations.filter(function (d) { return d.status === 'PUBLISHING'; }).length;
    var word;
    var tone = '';
    if (state.status === 'PENDING') { word = 'Connecting…'; tone = 'busy'; }
    else if (state.status === 'PUBLISHING') {
      tone = liveCount === destinations.length ? 'ok' : 'busy';
      word = destinations.length === 0 ? 'Sending to this server: add a destination to be seen'
        : 'Live on ' + liveCount + ' of ' + destinations.length + ' destination' + (destinations.length === 1 ? '' : 's');
    } else if (state.status === 'FAILED') { word = 'Not live'; tone = 'bad'; }
    else word = 'Not live';
    $('liveState').textContent = word;
    $('liveState').className = tone;
    $('error').textContent = state.error;
    ['camera', 'microphone', 'resolution', 'bitrate', 'server'].forEach(function (id) { $(id).disabled = live; });
  }

  function showPlatform() {
    var preset = H.PRESETS[$('platform').value];
    var select = $('presetServer');
    while (select.firstChild) select.removeChild(select.firstChild);
    preset.servers.forEach(function (s) {
      var o = document.createElement('option');
      o.value = s;
      o.textContent = s;
      select.appendChild(o);
    });
    var typed = preset.servers.length === 0;
    if (preset.serverEditable && !typed) {
      var other = document.createElement('option');
      other.value = '';
      other.textContent = 'Another server…';
      select.appendChild(other);
    }
    select.hidden = typed;
    $('customServer').hidden = !typed;
    $('customServer').placeholder = typed ? 'rtmp://host/app (the key may end the URL)' : 'rtmp://ingest.example/app';
    $('serverLabel').textContent = typed ? 'RTMP URL' : 'Server';
    $('keyLabel').textContent = preset.keyLabel;
  }

  // -------------------------------------------------------------------------
  // Wiring

  $('platform').addEventListener('change', showPlatform);
  $('presetServer').addEventListener('change', function () { $('customServer').hidden = $('presetServer').value !== ''; });
  $('addButton').addEventListener('click', addDestination);
  $('streamKey').addEventListener('keydown', function (e) { if (e.key === 'Enter') addDestination(); });
  $('goLive').addEventListener('click', function () { if (isLive()) stop(); else start(); });
  $('retryCamera').addEventListener('click', preview);
  ['camera', 'microphone', 'resolution'].forEach(function (id) { $(id).addEventListener('change', preview); });
  $('authSave').addEventListener('click', function () {
    common.saveAuth($('authValue').value.trim());
    $('authValue').value = '';
    $('auth').hidden = true;
    state.authRequired = false;
    if (state.status === 'PUBLISHING') destinations.forEach(function (d) { if (d.status === 'WAITING') startDestination(d); });
    poller.start();
  });
  $('authValue').addEventListener('keydown', function (e) { if (e.key === 'Enter') $('authSave').click(); });

  window.publisherApi = {
    start: start,
    stop: stop,
    disconnect: function () { if (session) session.disconnect(); },
    streamName: function () { return publishName; },
    setResolution: setResolution,
    maskRtmpUrl: common.maskRtmpUrl,
    refresh: function () { return poller.poke(); }
  };

  showPlatform();
  render();
  if (params.get('autostart') === '1') start();
  else preview();
})();
