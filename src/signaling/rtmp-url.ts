/**
 * The publishStream.rtmpUrl rules: rtmp:// or rtmps://, a host, an application. The URL
 * usually carries a stream key, so logs only ever see `mask()`.
 */

export type RtmpUrlCheck = { ok: true; url: string } | { ok: false; error: string };

export function checkRtmpUrl(raw: string): RtmpUrlCheck {
  if (raw.length > 2048) return { ok: false, error: 'rtmpUrl is too long' };
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, error: 'rtmpUrl is not a URL; it must start with rtmp:// or rtmps://' };
  }
  if (url.protocol !== 'rtmp:' && url.protocol !== 'rtmps:') return { ok: false, error: 'rtmpUrl must start with rtmp:// or rtmps://' };
  if (!url.hostname) return { ok: false, error: 'rtmpUrl has no host' };
  if (url.pathname.replace(/\//g, '') === '') return { ok: false, error: 'rtmpUrl has no application path' };
  return { ok: true, url: raw };
}

/** scheme://host[:port]/app/*** — what logs may show of an RTMP URL. */
export function maskRtmpUrl(raw: string): string {
  try {
    const url = new URL(raw);
    const app = url.pathname.split('/').filter(Boolean)[0];
    return `${url.protocol}//${url.host}/${app ? app + '/' : ''}***`;
  } catch {
    return '***';
  }
}
