/**
 * The IPv4 address a host text really reaches when it is a number in one of the
 * spellings inet_aton(3) accepts — and getaddrinfo, curl, browsers with it: `127.1`,
 * `2130706433`, `0x7f000001`, `0177.0.0.1`, mixed (`0x7f.1`). A destination guard that
 * judged the text instead of the address would let `rtmp://2130706433/` reach 127.0.0.1.
 *
 * Pure: no DNS. Host names that merely start with digits (`1password.com`) are not numbers.
 */

/** One part: decimal, octal with a leading 0, hexadecimal with 0x; undefined if not a number. */
function partValue(part: string): number | undefined {
  if (/^0x[0-9a-f]*$/i.test(part)) return part.length === 2 ? 0 : parseInt(part.slice(2), 16);
  if (/^0[0-7]*$/.test(part)) return parseInt(part, 8);
  if (/^[1-9][0-9]*$/.test(part)) return parseInt(part, 10);
  return undefined;
}

/**
 * The dotted-quad form of a numeric IPv4 host (`127.1` → `127.0.0.1`), or undefined when
 * the text is not one. As inet_aton: 1 to 4 parts; the last one fills the bytes left.
 */
export function canonicalIpv4(host: string): string | undefined {
  if (host.length === 0 || host.length > 64) return undefined;
  const parts = host.split('.');
  if (parts.length > 4) return undefined;
  const values: number[] = [];
  for (const p of parts) {
    const v = partValue(p);
    if (v === undefined || !Number.isFinite(v)) return undefined;
    values.push(v);
  }
  const last = values.pop()!;
  if (values.some((v) => v > 255)) return undefined;
  const lastBytes = 4 - values.length;
  if (last >= 2 ** (8 * lastBytes)) return undefined;
  const bytes = [...values];
  for (let i = lastBytes - 1; i >= 0; i--) bytes.push(Math.floor(last / 2 ** (8 * i)) % 256);
  return bytes.join('.');
}
