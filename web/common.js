/*
 * Shared by the pages: the same-origin REST client with the credentials kept for this
 * tab, polling with backoff, and how a destination is shown (redaction.js, loaded before this file: a stream
 * key must never be on screen).
 */
(function () {
  'use strict';
  var AUTH_KEY = 'rtmp-transponder.restAuth';

  function storedAuth() {
    try { return window.sessionStorage.getItem(AUTH_KEY) || ''; } catch (e) { return ''; }
  }

  function saveAuth(value) {
    try { window.sessionStorage.setItem(AUTH_KEY, value); } catch (e) { /* private mode: not kept */ }
  }

  function base64Utf8(text) {
    var bytes = new TextEncoder().encode(text);
    var binary = '';
    for (var i = 0; i < bytes.length; i++) binary += String.fromCharCode(bytes[i]);
    return btoa(binary);
  }

  /** "user:password" → Basic, "Bearer x" or anything else → Bearer. */
  function authorization(value) {
    if (!value) return '';
    if (/^bearer\s+/i.test(value)) return 'Bearer ' + value.replace(/^bearer\s+/i, '');
    if (value.indexOf(':') > 0) return 'Basic ' + base64Utf8(value);
    return 'Bearer ' + value;
  }

  /**
   * POST rest-api/<path> (e.g. 'push/find', 'stream/find_all'); rejects with {message,
   * status, code, field}; a 401 calls onUnauthorized. A network failure (server down,
   * unreachable) rejects with status 0 and a message saying so.
   */
  function post(path, body, onUnauthorized) {
    var headers = { 'content-type': 'application/json' };
    var auth = authorization(storedAuth());
    if (auth) headers.authorization = auth;
    // credentials 'omit': a 401 with a Basic challenge comes back to the page instead of
    // opening the browser's own login dialog.
    return fetch('rest-api/' + path, { method: 'POST', headers: headers, body: JSON.stringify(body || {}), credentials: 'omit', cache: 'no-store' })
      .catch(function () {
        var down = new Error('The server does not answer: is it running, and is this network connected?');
        down.status = 0;
        down.code = 'UNREACHABLE';
        throw down;
      })
      .then(function (res) {
        return res.text().then(function (text) {
          var data = null;
          try { data = text ? JSON.parse(text) : null; } catch (e) { data = null; }
          if (res.ok) return data;
          var err = new Error((data && typeof data.message === 'string' && data.message) || ('HTTP ' + res.status));
          err.status = res.status;
          err.code = data && data.code;
          err.field = data && data.field;
          if (res.status === 401 && onUnauthorized) onUnauthorized();
          throw err;
        });
      });
  }

  /** POST rest-api/push/<method> (the transponder API). */
  function call(method, body, onUnauthorized) {
    return post('push/' + method, body, onUnauthorized);
  }

  /**
   * Polling that does not hammer the API: `every` ms after each answer while all is well;
   * after a failure the wait doubles up to `max` ms; none while the tab is hidden (it
   * resumes at once when shown); none after stop() or while `tick` resolves to 'pause'
   * (e.g. waiting for credentials) until poke(). tick() returns a promise: resolved = ok,
   * rejected = failure, 'pause' = wait for poke().
   */
  function Poller(tick, every, max) {
    this.tick = tick;
    this.every = every;
    this.max = max || 30000;
    this.delay = every;
    this.timer = null;
    this.running = null;
    this.stopped = true;
    var self = this;
    this.onVisible = function () { if (!document.hidden && !self.stopped && !self.running) self.poke(); };
    document.addEventListener('visibilitychange', this.onVisible);
  }
  Poller.prototype.start = function () { this.stopped = false; return this.poke(); };
  Poller.prototype.stop = function () {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  };
  /** A poll now (once the one under way answered); the schedule follows from its answer. */
  Poller.prototype.poke = function () {
    var self = this;
    if (this.running) return this.running;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.running = Promise.resolve().then(function () { return self.tick(); }).then(function (outcome) {
      self.delay = self.every;
      return outcome;
    }, function () {
      self.delay = Math.min(self.max, self.delay * 2);
      return 'failed';
    }).then(function (outcome) {
      self.running = null;
      if (self.stopped || outcome === 'pause' || outcome === 'stop') return;
      if (document.hidden) return; // onVisible resumes
      self.timer = setTimeout(function () { self.timer = null; self.poke(); }, self.delay);
    });
    return this.running;
  };

  function describeError(err) {
    var text = String(err && err.message || err);
    var extra = [err && err.code, err && err.field && 'field ' + err.field].filter(Boolean).join(', ');
    return extra ? text + ' (' + extra + ')' : text;
  }

  window.RtmpTransponderPage = {
    call: call,
    post: post,
    Poller: Poller,
    saveAuth: saveAuth,
    describeError: describeError,
    // The service's own rule (redaction.js, generated from src/rtmp/redact-rtmp-url.ts):
    // scheme, host, port and application at most; never user, password, key or query.
    maskRtmpUrl: window.RtmpRedaction.redactRtmpUrl,
    maskPublishedName: window.RtmpRedaction.redactPublishedName
  };
})();
