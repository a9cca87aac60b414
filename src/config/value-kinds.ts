/**
 * How one property value (always a string in the file) becomes a typed setting, and how
 * a typed default is written back as text for the shipped file.
 *
 * Each kind is a zod schema from string to value plus the words used when a value is
 * wrong ("expected an integer >= -1"), so error messages and the checks cannot drift.
 */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { z } from 'zod';
import { executableProblem } from '../util/executable';
import { CidrError, formatCidr, parseCidr } from '../access/network-list';
import { HostPatternError, parseHostPattern } from '../access/host-patterns';

export interface ValueKind<T> {
  /** Parses the (unescaped) property text; on failure the issue message says what was expected. */
  readonly schema: z.ZodType<T, string>;
  /** "an integer >= -1", completes "expected …". */
  readonly expected: string;
  /** Text that parses back to `value` (before .properties escaping). */
  format(value: T): string;
}

type Parsed<T> = { ok: true; value: T } | { ok: false; message?: string };

function kind<T>(
  expected: string,
  parse: (text: string) => Parsed<T>,
  format: (value: T) => string,
): ValueKind<T> {
  const schema = z.string().transform((text, ctx): T => {
    const r = parse(text);
    if (r.ok) return r.value;
    ctx.issues.push({ code: 'custom', message: r.message ?? `expected ${expected}`, input: text });
    return z.NEVER;
  });
  return { schema, expected, format };
}

const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
const fail = <T>(message?: string): Parsed<T> => (message === undefined ? { ok: false } : { ok: false, message });

/** `true`/`false` in any letter case. Java would read any other word as false; we refuse it. */
export function booleanKind(): ValueKind<boolean> {
  return kind(
    'true or false',
    (text) => {
      const t = text.trim().toLowerCase();
      if (t === 'true') return ok(true);
      if (t === 'false') return ok(false);
      return fail();
    },
    (v) => String(v),
  );
}

function rangeWords(min: number | undefined, max: number | undefined): string {
  if (min !== undefined && max !== undefined) return `from ${min} to ${max}`;
  if (min !== undefined) return `>= ${min}`;
  if (max !== undefined) return `<= ${max}`;
  return '';
}

const INTEGER = /^[+-]?\d+$/;

function parseInteger(text: string, min?: number, max?: number): Parsed<number> {
  const t = text.trim();
  if (!INTEGER.test(t)) return fail();
  const n = Number(t);
  if (!Number.isSafeInteger(n)) return fail();
  if (min !== undefined && n < min) return fail();
  if (max !== undefined && n > max) return fail();
  return ok(n);
}

export interface IntegerOptions {
  min?: number;
  max?: number;
  /** Replaces the generated "an integer >= 0" when a value has a special meaning (-1 = forever). */
  expected?: string;
}

export function integerKind(opts: IntegerOptions = {}): ValueKind<number> {
  const words = rangeWords(opts.min, opts.max);
  const expected = opts.expected ?? (words ? `an integer ${words}` : 'an integer');
  return kind(expected, (text) => parseInteger(text, opts.min, opts.max), (v) => String(v));
}

/** Milliseconds as a plain integer, the way every WCS interval is written. */
export function durationMsKind(opts: { min?: number; max?: number } = {}): ValueKind<number> {
  const words = rangeWords(opts.min, opts.max);
  return kind(
    `a duration in milliseconds${words ? ` ${words}` : ''}`,
    (text) => parseInteger(text, opts.min, opts.max),
    (v) => String(v),
  );
}

export function portKind(): ValueKind<number> {
  return kind('a port number from 1 to 65535', (text) => parseInteger(text, 1, 65535), (v) => String(v));
}

export interface StringOptions {
  /** Keep surrounding white space (passwords); otherwise it is trimmed, since trailing blanks are almost always a slip. */
  raw?: boolean;
  nonEmpty?: boolean;
}

export function stringKind(opts: StringOptions = {}): ValueKind<string> {
  return kind(
    opts.nonEmpty ? 'a non-empty text' : 'a text',
    (text) => {
      const t = opts.raw ? text : text.trim();
      return opts.nonEmpty && t.length === 0 ? fail() : ok(t);
    },
    (v) => v,
  );
}

/**
 * A program to run: a path to an executable file, or a command found on PATH. Checked
 * against the file system when the settings are read, so a wrong one refuses to start.
 */
export function executableKind(): ValueKind<string> {
  const expected = 'an executable file (a path, or a command on PATH)';
  return kind(
    expected,
    (text) => {
      const t = text.trim();
      if (t.length === 0) return fail();
      const problem = executableProblem(t);
      return problem === undefined ? ok(t) : fail(`expected ${expected}: ${problem}`);
    },
    (v) => v,
  );
}

/** A literal IPv4 or IPv6 address (no host names: they would be resolved at an unknown time). */
export function ipAddressKind(): ValueKind<string> {
  return kind(
    'an IPv4 or IPv6 address',
    (text) => {
      const t = text.trim();
      return isIP(t) !== 0 ? ok(t) : fail();
    },
    (v) => v,
  );
}

function parseUrl(text: string, protocols: readonly string[]): URL | undefined {
  try {
    const url = new URL(text);
    return protocols.includes(url.protocol) && url.hostname.length > 0 ? url : undefined;
  } catch {
    return undefined;
  }
}

/** rtmp:// or rtmps:// with a host; the path (application, stream key) is not checked here. */
export function rtmpUrlKind(): ValueKind<string> {
  return kind(
    'an rtmp:// or rtmps:// URL with a host',
    (text) => {
      const t = text.trim();
      return parseUrl(t, ['rtmp:', 'rtmps:']) ? ok(t) : fail();
    },
    (v) => v,
  );
}

/** A network in CIDR notation (10.0.0.0/8, fd00::/8) or one address; kept as written, normalized to address/prefix. */
export function cidrKind(): ValueKind<string> {
  return kind(
    'a network such as 10.0.0.0/8 or fd00::/8',
    (text) => {
      try {
        return ok(formatCidr(parseCidr(text)));
      } catch (err) {
        if (err instanceof CidrError) return fail();
        throw err;
      }
    },
    (v) => v,
  );
}

/** http:// or https:// with a host (a REST hook backend); the path is kept as written. */
export function httpUrlKind(): ValueKind<string> {
  return kind(
    'an http:// or https:// URL with a host',
    (text) => {
      const t = text.trim();
      return parseUrl(t, ['http:', 'https:']) ? ok(t) : fail();
    },
    (v) => v,
  );
}

/** A host name or a *.domain pattern (rtmp_push_allowed_hosts), in lower case. */
export function hostPatternKind(): ValueKind<string> {
  return kind(
    'a host name or a *.domain pattern',
    (text) => {
      try {
        return ok(parseHostPattern(text));
      } catch (err) {
        if (err instanceof HostPatternError) return fail();
        throw err;
      }
    },
    (v) => v,
  );
}

/** The key under which a suffixed setting keeps the value of its plain key (`rest_hook_url`). */
export const EVERY_SUFFIX = '*';

/**
 * A setting read from its plain key for every case and from `key.<suffix>` for one case
 * (`rest_hook_url` and `rest_hook_url.<appKey>`): the value is a record from suffix to
 * item, the plain key's value under EVERY_SUFFIX. The record has no prototype, so a
 * suffix such as `__proto__` is just a name. This kind parses the plain key's text; the
 * loader parses each `key.<suffix>` line with `item`.
 */
export interface SuffixedValueKind<T> extends ValueKind<Readonly<Record<string, T>>> {
  readonly item: ValueKind<T>;
}

export function suffixedKind<T>(item: ValueKind<T>): SuffixedValueKind<T> {
  const base = kind<Readonly<Record<string, T>>>(
    item.expected,
    (text) => {
      if (text.trim().length === 0) return ok(suffixRecord({}));
      const r = item.schema.safeParse(text);
      return r.success ? ok(suffixRecord({ [EVERY_SUFFIX]: r.data })) : fail(r.error.issues[0]?.message);
    },
    (v) => (v[EVERY_SUFFIX] === undefined ? '' : item.format(v[EVERY_SUFFIX] as T)),
  );
  return { ...base, item };
}

/** A prototype-less copy of `entries` (see SuffixedValueKind). */
export function suffixRecord<T>(entries: Readonly<Record<string, T>>): Record<string, T> {
  const out = Object.create(null) as Record<string, T>;
  for (const [k, v] of Object.entries(entries)) out[k] = v;
  return out;
}

/**
 * Splits a list of RTMP URLs. RFC 3986 allows a bare comma inside a URL (in the path and
 * the query), so a comma separates two URLs only where the next one begins with
 * `rtmp://` or `rtmps://`; any other comma stays part of its URL.
 */
export function splitRtmpUrlList(text: string): string[] {
  return text
    .split(/,(?=\s*rtmps?:\/\/)/i)
    .map((p) => p.trim())
    .filter((p) => p.length > 0);
}

/** One or more rtmp:// or rtmps:// URLs (see splitRtmpUrlList); empty text is the empty list. */
export function rtmpUrlListKind(): ValueKind<string[]> {
  const one = rtmpUrlKind();
  return kind(
    'rtmp:// or rtmps:// URLs with a host, separated by commas',
    (text) => {
      const out: string[] = [];
      const items = splitRtmpUrlList(text);
      for (const [i, item] of items.entries()) {
        if (!one.schema.safeParse(item).success) {
          const which = items.length > 1 ? ` (URL ${i + 1} of ${items.length})` : '';
          return fail(`expected ${one.expected}${which}`);
        }
        out.push(item);
      }
      return ok(out);
    },
    (v) => v.join(','),
  );
}

/**
 * A PEM file holding at least one certificate, read when the settings are read (so a
 * missing or wrong file refuses the start or the reload, named with its line).
 */
export function pemCertificateFileKind(): ValueKind<string> {
  const expected = 'a readable PEM file with at least one certificate';
  return kind(
    expected,
    (text) => {
      const t = text.trim();
      if (t.length === 0) return fail();
      let pem: string;
      try {
        pem = readFileSync(t, 'latin1');
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : code === 'EACCES' ? 'permission denied' : 'cannot be read';
        return fail(`expected ${expected}: ${why}`);
      }
      return pem.includes('-----BEGIN CERTIFICATE-----') ? ok(t) : fail(`expected ${expected}: no "BEGIN CERTIFICATE" block`);
    },
    (v) => v,
  );
}

/** ICE server URL (RFC 7064 / 7065): `stun:host[:port]`, `turn:host[:port][?transport=udp|tcp]`. */
export function iceUrlKind(schemes: readonly string[]): ValueKind<string> {
  const pattern = new RegExp(
    `^(${schemes.join('|')}):(\\[[0-9a-fA-F:.]+\\]|[A-Za-z0-9.-]+)(:\\d{1,5})?(\\?transport=(udp|tcp))?$`,
  );
  return kind(
    `a ${schemes.map((s) => `${s}:`).join(' or ')} URL such as ${schemes[0]}:host:3478`,
    (text) => {
      const t = text.trim();
      const m = pattern.exec(t);
      if (!m) return fail();
      const port = m[3] ? Number(m[3].slice(1)) : 3478;
      return port >= 1 && port <= 65535 ? ok(t) : fail();
    },
    (v) => v,
  );
}

/** One of a fixed set of words, any letter case, normalized to the spelling given here. */
export function enumKind<const V extends readonly [string, ...string[]]>(values: V): ValueKind<V[number]> {
  return kind(
    `one of ${values.join(', ')}`,
    (text) => {
      const t = text.trim().toLowerCase();
      const hit = values.find((v) => v.toLowerCase() === t);
      return hit === undefined ? fail() : ok(hit);
    },
    (v) => v,
  );
}

/** Comma-separated items; blanks around items and empty items are ignored. */
export function listKind<T>(item: ValueKind<T>, expected: string): ValueKind<T[]> {
  return kind(
    expected,
    (text) => {
      const parts = text
        .split(',')
        .map((p) => p.trim())
        .filter((p) => p.length > 0);
      const out: T[] = [];
      for (const p of parts) {
        const r = item.schema.safeParse(p);
        if (!r.success) return fail(`expected ${item.expected} in the list, got "${p}"`);
        out.push(r.data);
      }
      return ok(out);
    },
    (v) => v.map((x) => item.format(x)).join(','),
  );
}

/** The setting may be left unset: an empty value (`key=`) means unset, as a missing key does. */
export function optionalKind<T>(inner: ValueKind<T>): ValueKind<T | undefined> {
  return kind(
    inner.expected,
    (text): Parsed<T | undefined> => {
      if (text.trim().length === 0) return ok(undefined);
      const r = inner.schema.safeParse(text);
      if (r.success) return ok(r.data);
      return fail(r.error.issues[0]?.message);
    },
    (v) => (v === undefined ? '' : inner.format(v)),
  );
}
