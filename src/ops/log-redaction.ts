/**
 * What never reaches a log line, in two layers:
 *
 * 1. Fields by name: a value under a secret name (password, token, key, authorization,
 *    custom, …) becomes `[redacted]`; a value under a URL name (url, rtmpUrl, …) is shown
 *    as src/rtmp/redact-rtmp-url.ts shows URLs (scheme, host, port, application); an SDP
 *    keeps everything but its ICE password. pino's `redact` does it for the top-level
 *    fields and the usual nested places (headers, a request's headers); the hook below
 *    does it at any depth while it walks the line anyway. (pino's wildcard paths for
 *    every depth would cost ~100 µs a line; the walk costs a few.)
 * 2. Text (a pino hook, so no call site can forget): every RTMP URL inside a message or any
 *    string field is redacted by the one rule, and the secret values of the same line
 *    (the raw rtmpUrl's key and password, a token field's value) are hidden wherever else
 *    they appear in it, e.g. quoted in an error message.
 */
import { HIDDEN, redactRtmpUrl, redactRtmpUrlsInText } from '../rtmp/redact-rtmp-url';

export const REDACTED = '[redacted]';

/** Names whose values are secrets, wherever they appear (compared as written). */
export const SECRET_FIELDS = [
  'password', 'passwd', 'pass', 'secret', 'secretKey',
  'token', 'authToken', 'accessToken', 'refreshToken', 'apiKey', 'bearer',
  'authorization', 'proxy-authorization', 'cookie', 'set-cookie',
  'credential', 'credentials', 'custom', 'key', 'streamKey', 'signature', 'hash',
] as const;

/** Names whose values are URLs: shown redacted (scheme, host, port, application), not hidden. */
export const URL_FIELDS = ['url', 'rtmpUrl', 'tcUrl', 'hookUrl', 'restHookUrl', 'autoStartUrl', 'rtmpPushAutoStartUrl', 'href', 'location'] as const;

/** Names whose values are SDP: useful at debug level, but the ICE password is hidden. */
export const SDP_FIELDS = ['sdp', 'offerSdp', 'answerSdp'] as const;

/** Where secrets sit nested in what gets logged (HTTP headers, a request's headers). */
const NESTED_PARENTS = ['headers', 'req.headers', 'request.headers', 'res.headers'];

function pathOf(parent: string, name: string): string {
  const safe = /^[A-Za-z_$][\w$]*$/.test(name);
  if (parent === '') return safe ? name : `["${name}"]`;
  return safe ? `${parent}.${name}` : `${parent}["${name}"]`;
}

/** pino `redact.paths`: every name at the top level, and the secret names under headers. */
export function redactPaths(): string[] {
  const top = [...SECRET_FIELDS, ...URL_FIELDS, ...SDP_FIELDS].map((name) => pathOf('', name));
  const nested = NESTED_PARENTS.flatMap((parent) => SECRET_FIELDS.map((name) => pathOf(parent, name)));
  return [...top, ...nested];
}

const URL_NAMES: ReadonlySet<string> = new Set(URL_FIELDS);
const SDP_NAMES: ReadonlySet<string> = new Set(SDP_FIELDS);
const SECRET_NAMES: ReadonlySet<string> = new Set(SECRET_FIELDS);
const REDACTED_NAMES: ReadonlySet<string> = new Set([...SECRET_FIELDS, ...URL_FIELDS, ...SDP_FIELDS]);

const ICE_PWD_LINE = /^(a=ice-pwd:).*$/gm;

/** An absolute URL by the one rule; a path (a request's URL) keeps its path, not its query. */
function redactUrl(url: string): string {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) return redactRtmpUrl(url);
  const q = url.indexOf('?');
  return q < 0 ? url : `${url.slice(0, q)}?${HIDDEN}`;
}

/** pino `redact.censor`: what a value under a redacted name becomes. */
export function censor(value: unknown, path: readonly unknown[]): unknown {
  if (value === undefined) return undefined;
  const name = String(path[path.length - 1]);
  if (typeof value === 'string') {
    if (URL_NAMES.has(name)) return redactUrl(value.trim());
    if (SDP_NAMES.has(name)) return value.replace(ICE_PWD_LINE, `$1${HIDDEN}`);
  }
  return REDACTED;
}

// ---------------------------------------------------------------------------
// Text

// Shorter values are too common to hide in free text without garbling the line.
const MIN_SECRET_LENGTH = 4;
const MAX_DEPTH = 8;

/** What one log line holds that must be hidden wherever it appears in that line. */
interface LineSecrets {
  urls: string[];
  values: string[];
}

/** A plain object or array (not a class instance: those go to pino's serializers). */
function isPlain(value: object): boolean {
  if (Array.isArray(value)) return true;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

// The same shape redactRtmpUrlsInText looks for.
const RTMP_URL_IN_TEXT = /rtmps?:\/\/[^\s"'<>`]+/gi;
const HAS_RTMP_URL = /rtmps?:\/\//i;

/**
 * What is secret in one line: the URLs under URL names and every RTMP URL written in any
 * of its texts (so their keys and passwords are hidden also where they appear alone, as
 * in an error's cause), and the values under secret names.
 */
function collectSecrets(value: unknown, into: LineSecrets, depth: number, seen: WeakSet<object>, name?: string): void {
  if (typeof value === 'string') {
    if (name !== undefined && URL_NAMES.has(name) && /^[a-z][a-z0-9+.-]*:\/\//i.test(value.trim())) into.urls.push(value.trim());
    else if (name !== undefined && SECRET_NAMES.has(name) && value.length >= MIN_SECRET_LENGTH) into.values.push(value);
    if (HAS_RTMP_URL.test(value)) for (const m of value.match(RTMP_URL_IN_TEXT) ?? []) into.urls.push(m);
    return;
  }
  if (typeof value !== 'object' || value === null || depth > MAX_DEPTH || seen.has(value)) return;
  seen.add(value);
  if (value instanceof Error) {
    collectSecrets(value.message, into, depth + 1, seen);
    collectSecrets(value.cause, into, depth + 1, seen);
    return;
  }
  if (!isPlain(value)) return;
  for (const [k, v] of Object.entries(value)) collectSecrets(v, into, depth + 1, seen, k);
}

function scrubString(text: string, secrets: LineSecrets): string {
  if (secrets.urls.length === 0 && secrets.values.length === 0 && !HAS_RTMP_URL.test(text)) return text;
  let out = redactRtmpUrlsInText(text, secrets.urls);
  for (const value of secrets.values) out = out.split(value).join(HIDDEN);
  return out;
}

/** An Error as plain fields, its text scrubbed (pino's serializers would see it raw). */
function describeError(err: Error, secrets: LineSecrets, depth: number, ancestors: WeakSet<object>): Record<string, unknown> {
  const out: Record<string, unknown> = { type: err.name, message: scrubString(err.message, secrets) };
  if (err.stack) out.stack = scrubString(err.stack, secrets);
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' || typeof code === 'number') out.code = code;
  if (err.cause !== undefined) out.cause = scrubValue(err.cause, secrets, depth + 1, ancestors);
  return out;
}

/** `ancestors`: the objects above this one (a cycle is cut; an object met twice elsewhere is written twice). */
function scrubValue(value: unknown, secrets: LineSecrets, depth: number, ancestors: WeakSet<object>): unknown {
  if (typeof value === 'string') return scrubString(value, secrets);
  if (typeof value !== 'object' || value === null) return value;
  if (depth > MAX_DEPTH) return '[too deep]';
  if (ancestors.has(value)) return '[circular]';
  ancestors.add(value);
  try {
    if (value instanceof Error) return describeError(value, secrets, depth, ancestors);
    // What JSON.stringify would write (a Date's text, a class's own summary), scrubbed.
    const toJSON = (value as { toJSON?: unknown }).toJSON;
    if (typeof toJSON === 'function') return scrubValue(toJSON.call(value), secrets, depth + 1, ancestors);
    if (!isPlain(value)) return value;
    if (Array.isArray(value)) return value.map((v) => scrubValue(v, secrets, depth + 1, ancestors));
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = REDACTED_NAMES.has(k) ? censor(v, [k]) : scrubValue(v, secrets, depth + 1, ancestors);
    return out;
  } finally {
    ancestors.delete(value);
  }
}

/**
 * The arguments of one pino call with every string scrubbed: pino's `(obj, msg)`,
 * `(msg)` and `(err, msg)` forms. Returns new arguments; the caller's objects are not
 * changed. Instances other than Errors (fastify's request and reply) pass through to
 * pino's serializers.
 */
export function scrubLogArguments(args: readonly unknown[]): unknown[] {
  const secrets: LineSecrets = { urls: [], values: [] };
  const first = args[0];
  const seenForSecrets = new WeakSet<object>();
  for (const arg of args) collectSecrets(arg, secrets, 0, seenForSecrets);
  // Longest first, so a value that contains another is hidden whole.
  secrets.values.sort((a, b) => b.length - a.length);
  const out = args.map((arg) => scrubValue(arg, secrets, 0, new WeakSet()));
  if (first instanceof Error) {
    // pino's (err, msg?) form: keep it, as err, with the error's message as the default msg.
    const err = out[0] as { message: string };
    return [{ err }, typeof out[1] === 'string' ? out[1] : err.message, ...out.slice(2)];
  }
  return out;
}

/** Child bindings (stream names, ids) get the same text rule (pino's bindings formatter skips children). */
export function scrubBindings(bindings: Record<string, unknown>): Record<string, unknown> {
  return scrubValue(bindings, { urls: [], values: [] }, 0, new WeakSet()) as Record<string, unknown>;
}
