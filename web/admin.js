/*
 * The admin view: every published stream with its ingest health (stream/find_all with
 * metrics) and a form to start a relay of it; every transponder (push/find_all; 404 means
 * none) with its uptime, a bitrate sparkline, the last state changes with their reasons
 * (kept by this page from the polls) and mute/unmute, sound on/off (the media
 * directory's WAV files offered from sound/find_all), terminate. Rows are kept by
 * mediaSessionId and updated in place, so a sound file name being typed survives.
 *
 * Polling without hammering: one cycle every 2 s (the calls one after the other, the next
 * only after the first answered), doubling after a failure up to 30 s, none while the tab
 * is hidden, none while the API waits for credentials (a wrong password is sent once).
 *
 * Everything from the server reaches the page through textContent; destinations are
 * shown by the service's own redaction rule (redaction.js): no user, password, key or query.
 * State for scripts: window.adminState; window.adminApi.refresh() polls at once.
 */
(function () {
  'use strict';
  var REFRESH_MS = 2000;
  var MAX_REFRESH_MS = 30000;
  var CHART_SAMPLES = 90; // one per poll: the last 3 minutes
  var TIMELINE_LENGTH = 6;
  var SOUND_LIST_EVERY = 15; // polls between two readings of the media directory
  var $ = function (id) { return document.getElementById(id); };
  var state = window.adminState = { transponders: [], streams: [], timelines: {}, soundFiles: [], error: '', polls: 0, updatedAt: 0, authRequired: false };
  var rows = new Map(); // mediaSessionId → row
  var streamRows = new Map(); // stream name → row
  var history = new Map(); // mediaSessionId → { bitrates: [], timeline: [] }
  var ingest = new Map(); // stream name → { bitrates: [], keyframes: KeyframeTracker }

  // -------------------------------------------------------------------------
  // REST client (same origin); shares the credentials field's value with the publisher page.

  var common = window.RtmpTransponderPage;
  function onUnauthorized() {
    state.authRequired = true;
    $('auth').hidden = false;
  }
  function rest(method, body) {
    return common.call(method, body, onUnauthorized);
  }
  function restPath(path, body) {
    return common.post(path, body, onUnauthorized);
  }
  var describeError = common.describeError;


  var maskRtmpUrl = common.maskRtmpUrl;
  var maskPublishedName = common.maskPublishedName;

  // -------------------------------------------------------------------------
  // Rows

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function button(label, action) {
    var b = el('button', '', label);
    b.type = 'button';
    b.setAttribute('data-action', action);
    return b;
  }

  function createRow(id) {
    var row = { id: id, tr: el('tr'), cells: {}, buttons: {}, busy: false };
    row.tr.setAttribute('data-id', id);
    ['stream', 'published', 'dest', 'status', 'bitrate', 'frames', 'restores', 'buffer', 'audio', 'uptime', 'chart', 'timeline'].forEach(function (name) {
      var cls = { dest: 'dest', bitrate: 'num', frames: 'num', restores: 'num', buffer: 'num' }[name] || '';
      var td = el('td', cls);
      td.setAttribute('data-col', name);
      row.cells[name] = td;
      row.tr.appendChild(td);
    });
    var actions = el('td', 'actions');
    var line1 = el('div');
    ['mute', 'unmute', 'terminate'].forEach(function (a) {
      row.buttons[a] = button(a === 'terminate' ? 'Terminate' : a === 'mute' ? 'Mute' : 'Unmute', a);
      line1.appendChild(row.buttons[a]);
      line1.appendChild(document.createTextNode(' '));
    });
    var line2 = el('div');
    row.soundFile = el('input');
    row.soundFile.type = 'text';
    row.soundFile.placeholder = 'sound.wav';
    row.soundFile.setAttribute('data-field', 'soundFile');
    row.soundFile.setAttribute('aria-label', 'sound file');
    row.soundFile.setAttribute('list', 'soundFiles');
    var loopLabel = el('label');
    row.loop = el('input');
    row.loop.type = 'checkbox';
    row.loop.setAttribute('data-field', 'loop');
    loopLabel.appendChild(row.loop);
    loopLabel.appendChild(document.createTextNode(' loop '));
    row.buttons.sound_on = button('Sound on', 'sound_on');
    row.buttons.sound_off = button('Sound off', 'sound_off');
    line2.appendChild(row.soundFile);
    line2.appendChild(document.createTextNode(' '));
    line2.appendChild(loopLabel);
    line2.appendChild(row.buttons.sound_on);
    line2.appendChild(document.createTextNode(' '));
    line2.appendChild(row.buttons.sound_off);
    actions.appendChild(line1);
    actions.appendChild(line2);
    row.tr.appendChild(actions);
    Object.keys(row.buttons).forEach(function (a) {
      row.buttons[a].addEventListener('click', function () { act(row, a); });
    });
    return row;
  }

  function setText(td, main, sub) {
    while (td.firstChild) td.removeChild(td.firstChild);
    td.appendChild(document.createTextNode(main));
    if (sub) td.appendChild(el('span', 'sub', sub));
  }

  function fillRow(row, t) {
    var stats = t.stats || {};
    var status = String(t.status || 'UNKNOWN');
    var ended = isEnded(t);
    row.info = t;
    row.tr.className = ended ? 'ended' : '';
    setText(row.cells.stream, String(t.sourceStreamName || '-'));
    setText(row.cells.published, maskPublishedName(String(t.streamName || ''), String(t.rtmpUrl || '')) || '-');
    var video = t.transcoding ? 'transcoded to ' + t.width + 'x' + t.height : 'video as published' + (t.width ? ' (' + t.width + 'x' + t.height + ')' : '');
    setText(row.cells.dest, maskRtmpUrl(String(t.rtmpUrl || '')), video);
    setText(row.cells.status, status, t.reason ? String(t.reason) : (stats.lastError && status !== 'PUBLISHING' ? String(stats.lastError) : ''));
    row.cells.status.className = 'status ' + status;
    // How far behind the RTMP server is (from its acknowledgements), when it says so.
    var lag = stats.serverLagMs;
    setText(row.cells.bitrate, (Number(stats.bitrateKbps) || 0) + ' kbit/s', typeof lag === 'number' ? 'server ' + Math.round(lag) + ' ms behind' : '');
    setText(row.cells.frames, (Number(stats.framesSent) || 0) + ' / ' + (Number(stats.framesDropped) || 0));
    // Losses recovered from, and the attempt under way while RESTORING.
    var attempts = Number(stats.restoreAttempts) || 0;
    setText(row.cells.restores, String(Number(stats.restores) || 0) + (attempts > 0 ? ' (attempt ' + attempts + ')' : ''));
    setText(row.cells.buffer, (Number(stats.bufferMs) || 0) + ' ms');
    setText(row.cells.audio, t.muted ? 'muted' : 'on', t.soundEnabled ? 'sound file on' : '');
    row.buttons.mute.disabled = row.busy || ended || t.muted === true;
    row.buttons.unmute.disabled = row.busy || ended || t.muted !== true;
    row.buttons.terminate.disabled = row.busy || ended;
    row.buttons.sound_on.disabled = row.busy || ended;
    row.buttons.sound_off.disabled = row.busy || ended || t.soundEnabled !== true;
    row.soundFile.disabled = ended;
    row.loop.disabled = ended;
    var h = history.get(row.id);
    setText(row.cells.uptime, ended ? '-' : duration(Date.now() - (Number(t.createdAt) || Date.now())));
    if (h) {
      Sparkline.render(row.cells.chart, h.bitrates, { width: 90, height: 30, unit: 'kbit/s' });
      renderTimeline(row.cells.timeline, h.timeline);
    }
  }

  function duration(ms) {
    var s = Math.max(0, Math.floor(ms / 1000));
    var h = Math.floor(s / 3600);
    var m = Math.floor((s % 3600) / 60);
    return (h ? h + ' h ' : '') + (h || m ? m + ' min ' : '') + (s % 60) + ' s';
  }

  function clock(at) {
    return new Date(at).toLocaleTimeString();
  }

  function renderTimeline(td, timeline) {
    var ul = el('ul', 'timeline');
    timeline.slice().reverse().forEach(function (e) {
      var li = el('li');
      li.appendChild(el('span', 'at', clock(e.at)));
      li.appendChild(document.createTextNode(e.status + (e.reason ? ' — ' + e.reason : '')));
      li.title = e.status + (e.reason ? ': ' + e.reason : '');
      ul.appendChild(li);
    });
    while (td.firstChild) td.removeChild(td.firstChild);
    td.appendChild(ul);
  }

  /** Keeps each transponder's bitrate samples and its state changes (with their reasons) across polls. */
  function remember(all) {
    var now = Date.now();
    var seen = {};
    all.forEach(function (t) {
      if (!t || typeof t.mediaSessionId !== 'string') return;
      seen[t.mediaSessionId] = true;
      var h = history.get(t.mediaSessionId);
      if (!h) { h = { bitrates: [], timeline: [] }; history.set(t.mediaSessionId, h); }
      var status = String(t.status || 'UNKNOWN');
      var reason = t.reason ? String(t.reason) : (t.stats && t.stats.lastError && status !== 'PUBLISHING' ? String(t.stats.lastError) : '');
      var last = h.timeline[h.timeline.length - 1];
      if (!last || last.status !== status || last.reason !== reason) {
        h.timeline.push({ at: now, status: status, reason: reason });
        if (h.timeline.length > TIMELINE_LENGTH) h.timeline.shift();
      }
      if (!isEnded(t)) {
        h.bitrates.push(Number(t.stats && t.stats.bitrateKbps) || 0);
        if (h.bitrates.length > CHART_SAMPLES) h.bitrates.shift();
      }
    });
    history.forEach(function (_h, id) { if (!seen[id]) history.delete(id); });
    state.timelines = {};
    history.forEach(function (h, id) { state.timelines[id] = h.timeline; });
  }

  function isEnded(t) {
    return t.status === 'TERMINATED' || t.status === 'FAILED';
  }

  function render(all) {
    remember(all);
    var seen = {};
    var body = $('rows');
    var list = $('showEnded').checked ? all : all.filter(function (t) { return !isEnded(t); });
    list.forEach(function (t) {
      if (!t || typeof t.mediaSessionId !== 'string') return;
      seen[t.mediaSessionId] = true;
      var row = rows.get(t.mediaSessionId);
      if (!row) {
        row = createRow(t.mediaSessionId);
        rows.set(t.mediaSessionId, row);
      }
      fillRow(row, t);
      body.appendChild(row.tr); // keeps the server's order
    });
    rows.forEach(function (row, id) {
      if (seen[id]) return;
      if (row.tr.parentNode) row.tr.parentNode.removeChild(row.tr);
      rows.delete(id);
    });
    state.transponders = all;
    $('empty').hidden = list.length > 0;
    $('empty').textContent = all.length === 0 ? 'No transponders.' : 'No active transponders.';
    $('transponders').hidden = list.length === 0;
    var active = all.filter(function (t) { return !isEnded(t); }).length;
    $('summary').textContent = (all.length === 0
      ? 'No transponders'
      : all.length + ' transponder' + (all.length === 1 ? '' : 's') + ' (' + active + ' active)') + ' · updated ' + new Date().toLocaleTimeString();
  }

  function showError(text) {
    state.error = text;
    $('error').textContent = text;
  }

  // -------------------------------------------------------------------------
  // Actions and refresh

  function act(row, action) {
    var body = { mediaSessionId: row.id };
    if (action === 'sound_on') {
      var file = row.soundFile.value.trim();
      if (!file) { showError('Sound on: enter the name of a WAV file in the media directory.'); row.soundFile.focus(); return; }
      body.soundFile = file;
      body.loop = row.loop.checked;
    }
    if (action === 'terminate' && row.info && !window.confirm('Terminate the relay of "' + (row.info.sourceStreamName || row.info.streamName) + '"?')) return;
    row.busy = true;
    if (row.info) fillRow(row, row.info);
    rest(action, body).then(function () {
      showError('');
    }, function (err) {
      var name = row.info ? (row.info.sourceStreamName || row.info.streamName) : row.id;
      showError(action + ' (' + name + '): ' + describeError(err));
    }).then(function () {
      row.busy = false;
      return refresh();
    });
  }

  // -------------------------------------------------------------------------
  // Streams: ingest health and starting a relay

  function streamRow(name) {
    var row = { name: name, tr: el('tr'), cells: {} };
    row.tr.setAttribute('data-name', name);
    ['name', 'video', 'bitrate', 'loss', 'audio'].forEach(function (c) {
      var td = el('td', c === 'bitrate' || c === 'loss' ? 'num' : '');
      td.setAttribute('data-col', c);
      row.cells[c] = td;
      row.tr.appendChild(td);
    });
    var form = el('td', 'relayForm');
    row.url = el('input');
    row.url.type = 'text';
    row.url.placeholder = 'rtmp://host/app/key';
    row.url.autocomplete = 'off';
    row.url.setAttribute('data-field', 'rtmpUrl');
    row.url.setAttribute('aria-label', 'RTMP URL of the relay');
    var fullLabel = el('label');
    row.full = el('input');
    row.full.type = 'checkbox';
    row.full.checked = true;
    row.full.setAttribute('data-field', 'fullUrl');
    fullLabel.appendChild(row.full);
    fullLabel.appendChild(document.createTextNode(' URL ends with the key '));
    var mutedLabel = el('label');
    row.startMuted = el('input');
    row.startMuted.type = 'checkbox';
    row.startMuted.setAttribute('data-field', 'muted');
    mutedLabel.appendChild(row.startMuted);
    mutedLabel.appendChild(document.createTextNode(' start muted '));
    var details = el('details');
    details.appendChild(el('summary', '', 'transcode'));
    row.transcode = {};
    [['width', 'width'], ['height', 'height'], ['fps', 'fps'], ['bitrate', 'kbit/s'], ['keyFrameInterval', 'keyframe every (frames)']].forEach(function (f) {
      var label = el('label', '', f[1] + ' ');
      var input = el('input');
      input.type = 'number';
      input.min = '0';
      input.setAttribute('data-field', f[0]);
      label.appendChild(input);
      details.appendChild(label);
      details.appendChild(document.createTextNode(' '));
      row.transcode[f[0]] = input;
    });
    row.start = button('Start relay', 'start_relay');
    row.start.addEventListener('click', function () { startRelay(row); });
    var line = el('div');
    line.appendChild(row.url);
    line.appendChild(document.createTextNode(' '));
    line.appendChild(row.start);
    form.appendChild(line);
    var line2 = el('div');
    line2.appendChild(fullLabel);
    line2.appendChild(mutedLabel);
    line2.appendChild(details);
    form.appendChild(line2);
    row.tr.appendChild(form);
    return row;
  }

  function startRelay(row) {
    var url = row.url.value.trim();
    if (!url) { showError('Start relay (' + row.name + '): enter the RTMP URL.'); row.url.focus(); return; }
    var body = { streamName: row.name, rtmpUrl: url, rtmpTransponderFullUrl: row.full.checked };
    Object.keys(row.transcode).forEach(function (k) {
      var v = row.transcode[k].value.trim();
      if (v !== '') body[k] = Number(v);
    });
    if (row.startMuted.checked) body.options = { action: 'mute' };
    row.start.disabled = true;
    rest('startup', body).then(function () {
      row.url.value = '';
      showError('');
    }, function (err) {
      showError('Start relay (' + row.name + '): ' + describeError(err));
    }).then(function () {
      row.start.disabled = false;
      return refresh();
    });
  }

  function fillStreamRow(row, s) {
    var m = s.metrics || {};
    var i = ingest.get(s.name);
    if (!i) { i = { bitrates: [], keyframes: new StreamHealth.KeyframeTracker(20000) }; ingest.set(s.name, i); }
    i.keyframes.add(Date.now(), m.VIDEO_K_FRAMES);
    var videoKbps = Math.round((Number(m.VIDEO_RATE) || 0) / 1000);
    i.bitrates.push(videoKbps);
    if (i.bitrates.length > CHART_SAMPLES) i.bitrates.shift();
    var k = i.keyframes.interval();
    setText(row.cells.name, s.name, 'up ' + duration(Date.now() - (Number(s.createDate) || Date.now())));
    var size = s.width ? s.width + 'x' + s.height : 'no picture yet';
    var fps = typeof m.VIDEO_FPS === 'number' ? m.VIDEO_FPS + ' fps' : '';
    var key = k ? (k.stalled ? 'no keyframe for ' + k.seconds.toFixed(0) + ' s' : 'keyframe every ' + k.seconds.toFixed(1) + ' s') : 'keyframes: measuring';
    setText(row.cells.video, size + (fps ? ', ' + fps : ''), key);
    if (k && k.seconds > StreamHealth.MAX_KEYFRAME_SECONDS) row.cells.video.className = 'warn';
    else row.cells.video.className = '';
    setText(row.cells.bitrate, videoKbps + ' kbit/s');
    var chart = el('div');
    Sparkline.render(chart, i.bitrates, { width: 120, height: 28, unit: 'kbit/s' });
    row.cells.bitrate.appendChild(chart);
    setText(row.cells.loss, (Number(m.VIDEO_LOST) || 0) + ' lost / ' + (Number(m.VIDEO_NACK) || 0) + ' / ' + (Number(m.VIDEO_PLI) || 0),
      'audio ' + (Number(m.AUDIO_LOST) || 0) + ' lost');
    setText(row.cells.audio, s.hasAudio ? Math.round((Number(m.AUDIO_RATE) || 0) / 1000) + ' kbit/s' : 'no audio', s.audioCodec || '');
  }

  function renderStreams(list) {
    var body = $('streamRows');
    var seen = {};
    list.forEach(function (s) {
      if (!s || typeof s.name !== 'string') return;
      seen[s.name] = true;
      var row = streamRows.get(s.name);
      if (!row) { row = streamRow(s.name); streamRows.set(s.name, row); }
      fillStreamRow(row, s);
      body.appendChild(row.tr);
    });
    streamRows.forEach(function (row, name) {
      if (seen[name]) return;
      if (row.tr.parentNode) row.tr.parentNode.removeChild(row.tr);
      streamRows.delete(name);
      ingest.delete(name);
    });
    state.streams = list;
    $('noStreams').hidden = list.length > 0;
    $('streams').hidden = list.length === 0;
  }

  function renderSoundFiles(files) {
    state.soundFiles = files.map(function (f) { return f.name; });
    var list = $('soundFiles');
    while (list.firstChild) list.removeChild(list.firstChild);
    files.forEach(function (f) {
      var o = document.createElement('option');
      o.value = f.name;
      o.textContent = f.name + ' (' + Math.max(1, Math.round(f.bytes / 1024)) + ' KiB)';
      list.appendChild(o);
    });
  }

  // -------------------------------------------------------------------------
  // Refresh: push/find_all, then stream/find_all, then (now and then) the sound files

  var cycles = 0;
  function notFoundIsEmpty(err) {
    if (err.status === 404) return [];
    throw err;
  }

  function tick() {
    return rest('find_all', {}).catch(notFoundIsEmpty).then(function (list) {
      state.polls++;
      state.updatedAt = Date.now();
      if (state.error.indexOf('find_all') === 0) showError('');
      render(Array.isArray(list) ? list : []);
      return restPath('stream/find_all', { display: ['metrics'] }).catch(notFoundIsEmpty);
    }).then(function (streams) {
      renderStreams(Array.isArray(streams) ? streams : []);
      if (cycles++ % SOUND_LIST_EVERY !== 0) return undefined;
      return restPath('sound/find_all', {}).then(function (files) {
        renderSoundFiles(Array.isArray(files) ? files : []);
      }, function (err) { if (err.status === 401) throw err; /* an older server without the list: typing still works */ });
    }).then(function () {
      return state.authRequired ? 'pause' : undefined;
    }, function (err) {
      if (err.status === 401) {
        // While the API asks for credentials, wait for the user's: polling with wrong ones
        // would spend this address's failure budget (429 for a while) with nobody typing.
        state.polls++;
        showError('find_all: ' + describeError(err));
        return 'pause';
      }
      state.polls++;
      $('summary').textContent = 'Not updated since ' + (state.updatedAt ? new Date(state.updatedAt).toLocaleTimeString() : 'loading') + ' (retrying, less often)';
      showError('find_all: ' + describeError(err));
      throw err;
    });
  }

  var poller = new common.Poller(tick, REFRESH_MS, MAX_REFRESH_MS);

  /** One cycle now; the next follows REFRESH_MS after it answers (more after failures). */
  function refresh() {
    poller.stopped = false;
    return poller.poke();
  }

  $('authSave').addEventListener('click', function () {
    common.saveAuth($('authValue').value.trim());
    $('authValue').value = '';
    $('auth').hidden = true;
    state.authRequired = false;
    showError('');
    cycles = 0;
    poller.start();
  });
  $('showEnded').addEventListener('change', function () { render(state.transponders); });
  $('authValue').addEventListener('keydown', function (e) { if (e.key === 'Enter') $('authSave').click(); });

  window.adminApi = { refresh: refresh, maskRtmpUrl: maskRtmpUrl, maskPublishedName: maskPublishedName };
  poller.start();
})();
