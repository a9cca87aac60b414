/**
 * The key under which per-address limits count a client: an IPv4 address as is, an IPv6
 * address by its /64 network. One IPv6 host is usually given a whole /64 and can pick any
 * address in it, so counting single IPv6 addresses would let one client look like
 * billions. IPv4-mapped IPv6 (`::ffff:192.0.2.1`, as Node reports IPv4 on a dual-stack
 * socket) counts as the IPv4 address it carries.
 */
import { isIPv4, isIPv6 } from 'node:net';

/** The eight 16-bit groups of an IPv6 address, or undefined when it is not one. */
function ipv6Groups(address: string): number[] | undefined {
  let text = address;
  const zone = text.indexOf('%');
  if (zone >= 0) text = text.slice(0, zone);
  if (!isIPv6(text)) return undefined;
  // A dotted IPv4 tail (::ffff:1.2.3.4, 64:ff9b::1.2.3.4) becomes two groups.
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const halves = text.split('::');
  const head = halves[0] ? halves[0].split(':') : [];
  const tail = halves.length > 1 && halves[1] ? halves[1].split(':') : [];
  const missing = 8 - head.length - tail.length;
  const parts = [...head, ...Array<string>(halves.length > 1 ? missing : 0).fill('0'), ...tail];
  if (parts.length !== 8) return undefined;
  return parts.map((p) => parseInt(p, 16));
}

/**
 * `192.0.2.1` → `192.0.2.1`; `2001:db8:1:2:aaaa::1` → `2001:db8:1:2::/64`;
 * `::ffff:192.0.2.1` → `192.0.2.1`. Anything else (a missing address) is kept as given,
 * so it still counts under one key.
 */
export function addressGroup(address: string | undefined): string {
  if (address === undefined || address === '') return 'unknown';
  if (isIPv4(address)) return address;
  const groups = ipv6Groups(address);
  if (!groups) return address;
  const mapped = groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff;
  if (mapped) return `${groups[6]! >> 8}.${groups[6]! & 0xff}.${groups[7]! >> 8}.${groups[7]! & 0xff}`;
  return `${groups.slice(0, 4).map((g) => g.toString(16)).join(':')}::/64`;
}
