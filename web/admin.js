/*
 * The admin view: every transponder (POST rest-api/push/find_all every 2 s; 404 means
 * none), with mute/unmute, terminate and sound on/off. Rows are kept by mediaSessionId
 * and updated in place, so a sound file name being typed survives the refresh.
 *
 * Everything from the server reaches the page through textContent; destinations are
 * shown by the service's own redaction rule (redaction.js): no user, password, key or query.
 * State for scripts: window.adminState; window.adminApi.refresh() polls at once.
 */
(function () {
  'use strict';
  var REFRESH_MS = 2000;
  var $ = function (id) { return document.getElementById(id); };
  var state = window.adminState = { transponders: [], error: '', polls: 0, updatedAt: 0, authRequired: false };
  var rows = new Map(); // mediaSessionId → row
  var timer = null;
  var inFlight = null;

  // -------------------------------------------------------------------------
  // REST client (same origin); shares the credentials field's value with the publisher page.

  var common = window.RtmpTransponderPage;
  function rest(method, body) {
    return common.call(method, body, function () {
      state.authRequired = true;
      $('auth').hidden = false;
    });
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
    ['stream', 'published', 'dest', 'status', 'bitrate', 'frames', 'restores', 'buffer', 'audio'].forEach(function (name) {
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
  }

  function isEnded(t) {
    return t.status === 'TERMINATED' || t.status === 'FAILED';
  }

  function render(all) {
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

  function schedule() {
    if (timer) clearTimeout(timer);
    timer = setTimeout(refresh, REFRESH_MS);
  }

  /** One find_all now; the next follows REFRESH_MS after it answers. */
  function refresh() {
    if (inFlight) return inFlight;
    if (timer) clearTimeout(timer);
    timer = null;
    inFlight = rest('find_all', {}).then(function (list) {
      state.polls++;
      state.updatedAt = Date.now();
      if (state.error.indexOf('find_all') === 0) showError('');
      render(Array.isArray(list) ? list : []);
    }, function (err) {
      state.polls++;
      if (err.status === 404) {
        // find_all answers 404 "Not found any transponder" when there are none.
        state.updatedAt = Date.now();
        if (state.error.indexOf('find_all') === 0) showError('');
        render([]);
      } else {
        $('summary').textContent = 'Not updated since ' + (state.updatedAt ? new Date(state.updatedAt).toLocaleTimeString() : 'loading');
        showError('find_all: ' + describeError(err));
      }
    }).then(function () {
      inFlight = null;
      // While the API asks for credentials, wait for the user's: polling with wrong ones
      // would spend this address's failure budget (429 for a while) with nobody typing.
      if (!state.authRequired) schedule();
    });
    return inFlight;
  }

  $('authSave').addEventListener('click', function () {
    common.saveAuth($('authValue').value.trim());
    $('authValue').value = '';
    $('auth').hidden = true;
    state.authRequired = false;
    showError('');
    refresh();
  });
  $('showEnded').addEventListener('change', function () { render(state.transponders); });
  $('authValue').addEventListener('keydown', function (e) { if (e.key === 'Enter') $('authSave').click(); });

  window.adminApi = { refresh: refresh, maskRtmpUrl: maskRtmpUrl, maskPublishedName: maskPublishedName };
  refresh();
})();
