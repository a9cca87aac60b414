/**
 * Host name patterns of rtmp_push_allowed_hosts: an exact name (`a.rtmp.youtube.com`) or
 * `*.example.com`, which matches any name below example.com (not example.com itself,
 * as TLS wildcards). Compared in lower case, without a trailing dot.
 */

export class HostPatternError extends Error {
  override readonly name = 'HostPatternError';
}

const LABELS = /^(?:[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?)(?:\.[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?)*$/;

/** Checks and normalizes one pattern; throws HostPatternError naming it. */
export function parseHostPattern(text: string): string {
  const t = text.trim().toLowerCase().replace(/\.$/, '');
  const body = t.startsWith('*.') ? t.slice(2) : t;
  if (body.length === 0 || body.length > 253 || !LABELS.test(body)) {
    throw new HostPatternError(`"${text}" is not a host name or a *.domain pattern`);
  }
  return t;
}

export function hostMatches(host: string, pattern: string): boolean {
  const h = host.toLowerCase().replace(/\.$/, '');
  if (pattern.startsWith('*.')) return h.endsWith(pattern.slice(1)) && h.length > pattern.length - 1;
  return h === pattern;
}
