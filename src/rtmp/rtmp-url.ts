/**
 * RTMP destination URLs, as the WCS republishing page documents them:
 *   rtmp[s]://[user:password@]host[:port]/app[/instance][/][?query]
 *
 * Two naming modes:
 * - default: the whole path is the application (app and instance) and the query
 *   travels inside connect's `app` and `tcUrl` — the WCS capture shows
 *   `connect('live/?user1&pass1')`; the published name is prefix + streamName.
 * - full URL (rtmpTransponderFullUrl / rtmp_transponder_full_url): the last path
 *   element is the published name, everything before it is the application, and a
 *   query after the name stays on the name (Facebook-style keys such as
 *   `FB-123?s_bl=1&s_sw=0` need it there).
 *
 * Pure: no DNS, no sockets. Errors never echo the password or the stream key.
 */
import { redactRtmpUrl } from './redact-rtmp-url';

// Callers import the redaction of raw URLs from here, beside the parser.
export { redactRtmpUrl } from './redact-rtmp-url';

export type RtmpScheme = 'rtmp' | 'rtmps';

export interface RtmpTarget {
  scheme: RtmpScheme;
  host: string;
  port: number;
  /** connect's `app` field, query included when the URL carries one before the name. */
  app: string;
  /** connect's `tcUrl`: scheme://host:port/app — never with credentials. */
  tcUrl: string;
  /** The name given to `publish` (and releaseStream / FCPublish). */
  streamName: string;
  credentials?: { user: string; password: string };
}

export interface RtmpNaming {
  /** true: the URL's last path element is the stream name. */
  fullUrl: boolean;
  /** Used when fullUrl is false: the name published is prefix + streamName. */
  streamName?: string;
  prefix?: string;
}

export class RtmpUrlError extends Error {
  override readonly name = 'RtmpUrlError';
}

export const DEFAULT_PORTS: Readonly<Record<RtmpScheme, number>> = { rtmp: 1935, rtmps: 443 };

interface SplitUrl {
  scheme: RtmpScheme;
  userinfo?: string;
  host: string;
  port: number;
  path: string;
  query?: string;
}

const URL_SHAPE = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\/([^/?#]*)([^?#]*)(?:\?([^#]*))?(?:#.*)?$/;

function splitUrl(raw: string): SplitUrl {
  if (typeof raw !== 'string' || raw.trim() === '') throw new RtmpUrlError('rtmpUrl is empty');
  if (raw.length > 4096) throw new RtmpUrlError('rtmpUrl is longer than 4096 characters');
  if (/[\s\u0000-\u001f\u007f]/.test(raw)) throw new RtmpUrlError('rtmpUrl contains whitespace or control characters');
  const m = URL_SHAPE.exec(raw);
  if (!m) throw new RtmpUrlError('rtmpUrl is not a URL of the form rtmp://host[:port]/app[/stream]');
  const scheme = m[1].toLowerCase();
  if (scheme !== 'rtmp' && scheme !== 'rtmps') {
    throw new RtmpUrlError(`rtmpUrl scheme "${scheme}" is not supported: use rtmp:// or rtmps://`);
  }
  const authority = m[2];
  const at = authority.lastIndexOf('@');
  const userinfo = at >= 0 ? authority.slice(0, at) : undefined;
  const hostPort = at >= 0 ? authority.slice(at + 1) : authority;
  const { host, port } = splitHostPort(hostPort, scheme);
  return { scheme, userinfo, host, port, path: m[3], query: m[4] };
}

function splitHostPort(hostPort: string, scheme: RtmpScheme): { host: string; port: number } {
  let host: string;
  let portText: string | undefined;
  if (hostPort.startsWith('[')) {
    const close = hostPort.indexOf(']');
    if (close < 0) throw new RtmpUrlError('rtmpUrl has an unterminated IPv6 address');
    host = hostPort.slice(1, close);
    const rest = hostPort.slice(close + 1);
    if (rest !== '' && !rest.startsWith(':')) throw new RtmpUrlError('rtmpUrl has garbage after the IPv6 address');
    portText = rest === '' ? undefined : rest.slice(1);
  } else {
    const colon = hostPort.lastIndexOf(':');
    host = colon >= 0 ? hostPort.slice(0, colon) : hostPort;
    portText = colon >= 0 ? hostPort.slice(colon + 1) : undefined;
  }
  if (host === '') throw new RtmpUrlError('rtmpUrl has no host');
  if (!/^[A-Za-z0-9.\-_:%]+$/.test(host)) throw new RtmpUrlError(`rtmpUrl host "${host}" is not a valid host name or address`);
  let port = DEFAULT_PORTS[scheme];
  if (portText !== undefined) {
    if (!/^\d{1,5}$/.test(portText) || Number(portText) < 1 || Number(portText) > 65535) {
      throw new RtmpUrlError(`rtmpUrl port "${portText}" is not a number from 1 to 65535`);
    }
    port = Number(portText);
  }
  return { host: host.toLowerCase(), port };
}

function decodeCredentials(userinfo: string): { user: string; password: string } {
  const colon = userinfo.indexOf(':');
  const user = colon >= 0 ? userinfo.slice(0, colon) : userinfo;
  const password = colon >= 0 ? userinfo.slice(colon + 1) : '';
  try {
    return { user: decodeURIComponent(user), password: decodeURIComponent(password) };
  } catch {
    // Say which part is bad, never the part itself.
    throw new RtmpUrlError('rtmpUrl credentials are not valid percent-encoding');
  }
}

function hostForUrl(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

/** Parses and checks a destination; `naming` says how the published name is found. */
export function parseRtmpUrl(raw: string, naming: RtmpNaming): RtmpTarget {
  const url = splitUrl(raw);
  const segments = url.path.split('/').filter((s) => s !== '');
  let appPath: string;
  let streamName: string;
  let app: string;

  if (naming.fullUrl) {
    if (segments.length < 2) {
      throw new RtmpUrlError('rtmpUrl must name the application and the stream (rtmp://host/app/stream) when the full URL is used');
    }
    streamName = segments[segments.length - 1] + (url.query !== undefined ? `?${url.query}` : '');
    appPath = segments.slice(0, -1).join('/');
    app = appPath;
  } else {
    if (segments.length < 1) throw new RtmpUrlError('rtmpUrl has no application (rtmp://host/app)');
    const name = naming.streamName ?? '';
    if (name === '') throw new RtmpUrlError('streamName is empty');
    streamName = (naming.prefix ?? '') + name;
    // Keep a trailing slash and the query exactly as written: servers such as
    // WCS and Wowza read authentication tokens from `live/?user&pass`.
    appPath = url.path.replace(/^\/+/, '');
    app = appPath + (url.query !== undefined ? `?${url.query}` : '');
  }
  if (streamName.length > 1024) throw new RtmpUrlError('the stream name is longer than 1024 characters');

  const tcUrl = `${url.scheme}://${hostForUrl(url.host)}:${url.port}/${app}`;
  const target: RtmpTarget = { scheme: url.scheme, host: url.host, port: url.port, app, tcUrl, streamName };
  if (url.userinfo !== undefined && url.userinfo !== '') target.credentials = decodeCredentials(url.userinfo);
  return target;
}

/**
 * The destination as it may be logged: the one rule of redact-rtmp-url.ts applied to the
 * URL this target was parsed from (no credentials, no name, no query).
 */
export function redactTarget(target: RtmpTarget): string {
  return redactRtmpUrl(`${target.scheme}://${hostForUrl(target.host)}:${target.port}/${target.app}/${target.streamName}`);
}
