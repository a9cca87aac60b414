/*
 * Shared by the pages: the same-origin REST client with the credentials kept for this
 * tab, and how a destination is shown (password, stream key and query masked — a
 * stream key must never be on screen).
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

  /**
   * The URL to show: the password and the last path element (the stream key, when the
   * URL carries one), and the query, replaced by ***.
   */
  function maskRtmpUrl(raw) {
    var m = /^([a-zA-Z][a-zA-Z0-9+.-]*:\/\/)([^/?#]*)([^?#]*)(\?[^#]*)?/.exec(raw);
    if (!m) return raw ? '(hidden)' : '';
    var authority = m[2];
    var at = authority.lastIndexOf('@');
    if (at >= 0) {
      var userinfo = authority.slice(0, at);
      var colon = userinfo.indexOf(':');
      authority = (colon >= 0 ? userinfo.slice(0, colon) + ':***' : '***') + authority.slice(at);
    }
    var segments = m[3].split('/').filter(function (s) { return s !== ''; });
    // One element is the application: the key is then the published name, shown apart.
    if (segments.length > 1) segments = [segments[0], '***'];
    return m[1] + authority + (segments.length ? '/' + segments.join('/') : '') + (m[4] ? '?***' : '');
  }

  /**
   * The published name, unless the URL carries it (a full URL: the name at the RTMP
   * server is then the stream key itself); a name the server made (rtmp_cam1) is shown.
   */
  function maskPublishedName(name, rawUrl) {
    if (!name) return '';
    var m = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/[^/?#]*([^#]*)/.exec(rawUrl);
    var afterApp = m ? m[1].replace(/^\/*[^/?]*/, '') : rawUrl;
    return afterApp.indexOf(name) >= 0 ? '***' : name;
  }

  window.RtmpTransponderPage = {
    call: call,
    saveAuth: saveAuth,
    describeError: describeError,
    maskRtmpUrl: maskRtmpUrl,
    maskPublishedName: maskPublishedName
  };
})();
