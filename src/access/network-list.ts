/**
 * A list of networks in CIDR notation (`10.0.0.0/8`, `fd00::/8`, a bare address for one
 * host), matched with Node's net.BlockList, which also matches the IPv4-mapped IPv6
 * forms (`::ffff:169.254.169.254`) of IPv4 rules and the reverse. Addresses inside the
 * NAT64 well-known prefix (`64:ff9b::/96`, RFC 6052) are matched as the IPv4 address
 * they carry as well.
 */
import net from 'node:net';

export interface Cidr {
  address: string;
  prefix: number;
  family: 'ipv4' | 'ipv6';
}

export class CidrError extends Error {
  override readonly name = 'CidrError';
}

/** `a.b.c.d/n`, `x::y/n` or a bare address (/32, /128); throws CidrError naming the text. */
export function parseCidr(text: string): Cidr {
  const t = text.trim();
  const slash = t.indexOf('/');
  const address = slash >= 0 ? t.slice(0, slash) : t;
  const version = net.isIP(address);
  if (version === 0 || address.includes('%')) throw new CidrError(`"${t}" is not an IPv4 or IPv6 network (expected e.g. 10.0.0.0/8 or fd00::/8)`);
  const family = version === 4 ? 'ipv4' : 'ipv6';
  const max = version === 4 ? 32 : 128;
  let prefix = max;
  if (slash >= 0) {
    const p = t.slice(slash + 1);
    if (!/^\d{1,3}$/.test(p) || Number(p) > max) throw new CidrError(`"${t}" has a prefix length outside 0–${max}`);
    prefix = Number(p);
  }
  return { address, prefix, family };
}

export function formatCidr(c: Cidr): string {
  return `${c.address}/${c.prefix}`;
}

/** The IPv4 address inside a NAT64 well-known-prefix address (64:ff9b::a9fe:a9fe → 169.254.169.254). */
export function nat64Embedded(address: string): string | undefined {
  if (net.isIPv6(address) === false) return undefined;
  const probe = new net.BlockList();
  probe.addSubnet('64:ff9b::', 96, 'ipv6');
  if (!probe.check(address, 'ipv6')) return undefined;
  const groups = expandIpv6(address);
  if (!groups) return undefined;
  const hi = groups[6]!;
  const lo = groups[7]!;
  return [hi >> 8, hi & 0xff, lo >> 8, lo & 0xff].join('.');
}

/** Eight 16-bit groups of an IPv6 address (a trailing dotted IPv4 part allowed). */
function expandIpv6(address: string): number[] | undefined {
  let text = address.split('%')[0]!;
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    const b = dotted[1]!.split('.').map(Number);
    text = text.slice(0, -dotted[1]!.length) + `${((b[0]! << 8) | b[1]!).toString(16)}:${((b[2]! << 8) | b[3]!).toString(16)}`;
  }
  const [head, tail] = text.split('::');
  const h = head ? head.split(':') : [];
  const t = tail !== undefined && tail !== '' ? tail.split(':') : [];
  const fill = text.includes('::') ? 8 - h.length - t.length : 0;
  const all = [...h, ...Array<string>(fill).fill('0'), ...t].map((g) => parseInt(g, 16));
  return all.length === 8 && all.every((g) => Number.isInteger(g) && g >= 0 && g <= 0xffff) ? all : undefined;
}

export class NetworkList {
  private readonly list = new net.BlockList();
  readonly networks: readonly Cidr[];

  constructor(networks: ReadonlyArray<string | Cidr>) {
    this.networks = networks.map((n) => (typeof n === 'string' ? parseCidr(n) : n));
    for (const c of this.networks) this.list.addSubnet(c.address, c.prefix, c.family);
  }

  get empty(): boolean {
    return this.networks.length === 0;
  }

  /** Whether a literal address (IPv4, IPv6, IPv4-mapped, NAT64) falls in one of the networks. */
  includes(address: string): boolean {
    const version = net.isIP(address);
    if (version === 0) return false;
    if (this.list.check(address, version === 4 ? 'ipv4' : 'ipv6')) return true;
    const embedded = nat64Embedded(address);
    return embedded !== undefined && this.list.check(embedded, 'ipv4');
  }

  toString(): string {
    return this.networks.map(formatCidr).join(', ');
  }
}
