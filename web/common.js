/*
 * Shared by the pages: the same-origin REST client with the credentials kept for this
 * tab, and how a destination is shown (redaction.js, loaded before this file: a stream
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

  /** POST rest-api/push/<method>; rejects with {message, status, code, field}; 401 calls onUnauthorized. */
  function call(method, body, onUnauthorized) {
    var headers = { 'content-type': 'application/json' };
    var auth = authorization(storedAuth());
    if (auth) headers.authorization = auth;
    // credentials 'omit': a 401 with a Basic challenge comes back to the page instead of
    // opening the browser's own login dialog.
    return fetch('rest-api/push/' + method, { method: 'POST', headers: headers, body: JSON.stringify(body || {}), credentials: 'omit', cache: 'no-store' })
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

  function describeError(err) {
    var text = String(err && err.message || err);
    var extra = [err && err.code, err && err.field && 'field ' + err.field].filter(Boolean).join(', ');
    return extra ? text + ' (' + extra + ')' : text;
  }

  window.RtmpTransponderPage = {
    call: call,
    saveAuth: saveAuth,
    describeError: describeError,
    // The service's own rule (redaction.js, generated from src/rtmp/redact-rtmp-url.ts):
    // scheme, host, port and application at most; never user, password, key or query.
    maskRtmpUrl: window.RtmpRedaction.redactRtmpUrl,
    maskPublishedName: window.RtmpRedaction.redactPublishedName
  };
})();
