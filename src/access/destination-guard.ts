/**
 * The destination guard: one rule set that every RTMP destination passes — REST
 * /push/startup, publishStream.rtmpUrl, auto start — after DNS resolution, and again at
 * every (re)connect (it is the connection's DestinationResolver, so the address judged
 * is the address connected to: a DNS answer that changes cannot slip in between).
 *
 * Rules, in order; the first that refuses names itself in the error:
 *   scheme                      rtmp:// and rtmps:// only
 *   rtmp_push_allowed_hosts     when set, the host must match one name or *.domain pattern
 *   rtmp_push_allowed_ports     when set, the port must be one of them
 * then for EVERY address the host resolves to (numeric spellings such as 2130706433,
 * 0x7f000001, 127.1 or 0177.0.0.1 are the address they reach; 0.0.0.0 and :: reach this
 * host and are judged — and connected to — as loopback):
 *   link-local-metadata         never: 169.254.0.0/16, fe80::/10, the cloud metadata
 *                               addresses (fd00:ec2::254, 100.100.100.200, 168.63.129.16),
 *                               also in IPv4-mapped IPv6 and NAT64 spelling
 *   own-service-port            never: the service's own HTTP/WS/WSS ports on its own
 *                               addresses (loopback, bind_address, local interfaces)
 *   rtmp_push_denied_networks   the networks an operator adds to the denials
 *   rtmp_push_allowed_networks  when set, the address must be in one of them
 * Loopback and private networks are allowed unless denied (a local nginx-rtmp, in-house
 * servers, the tests).
 *
 * Refusals name the rule, never the address a name resolved to (a caller without
 * credentials must not learn the inside of the network from it); the address is in
 * `detail`, for the log.
 */
import dns from 'node:dns/promises';
import net from 'node:net';
import os from 'node:os';
import { DestinationNotFoundError, DestinationRefusedError, type RtmpDestination } from '../rtmp/destination';
import { canonicalIpv4 } from './ipv4-spellings';
import { hostMatches, parseHostPattern } from './host-patterns';
import { NetworkList } from './network-list';

export type GuardRule =
  | 'scheme'
  | 'rtmp_push_allowed_hosts'
  | 'rtmp_push_allowed_ports'
  | 'link-local-metadata'
  | 'own-service-port'
  | 'rtmp_push_denied_networks'
  | 'rtmp_push_allowed_networks';

/** What callers are told for each rule (after `destination refused by rule "<rule>": `). */
const RULE_TEXT: Readonly<Record<GuardRule, string>> = {
  scheme: 'only rtmp:// and rtmps:// destinations are relayed to',
  rtmp_push_allowed_hosts: 'the host is not in rtmp_push_allowed_hosts',
  rtmp_push_allowed_ports: 'the port is not in rtmp_push_allowed_ports',
  'link-local-metadata': 'link-local and cloud metadata addresses are never relayed to',
  'own-service-port': "the service's own HTTP/WebSocket ports are never relayed to",
  rtmp_push_denied_networks: 'the destination is in rtmp_push_denied_networks',
  rtmp_push_allowed_networks: 'the destination is not in rtmp_push_allowed_networks',
};

/** Denied whatever the settings say. */
export const BUILT_IN_DENIED_NETWORKS: readonly string[] = [
  '169.254.0.0/16', // IPv4 link-local; AWS, GCP, Azure, OpenStack metadata at 169.254.169.254
  'fe80::/10', // IPv6 link-local
  'fd00:ec2::254/128', // AWS metadata over IPv6
  '100.100.100.200/32', // Alibaba Cloud metadata
  '168.63.129.16/32', // Azure WireServer
];

const LOOPBACK_NETWORKS = ['127.0.0.0/8', '::1/128'];

/** The settings part of the guard (reloadable with update()). */
export interface DestinationRules {
  /** CIDR list; empty: any address not denied. */
  allowedNetworks: readonly string[];
  /** CIDR list added to the built-in denials. */
  deniedNetworks: readonly string[];
  /** Empty: any port. */
  allowedPorts: readonly number[];
  /** Host names or *.domain patterns; empty: any host. */
  allowedHosts: readonly string[];
}

/** Every address a host name resolves to. */
export type HostLookup = (host: string) => Promise<readonly string[]>;

export interface DestinationGuardOptions extends DestinationRules {
  /** The service's own listening ports (HTTP, WS, WSS), asked at each check: known once listening. */
  ownPorts: () => readonly number[];
  /** bind_address, when it is a specific address. */
  bindAddress?: string;
  /** Tests replace the DNS. */
  lookup?: HostLookup;
  /** This host's interface addresses; os.networkInterfaces() by default. */
  localAddresses?: () => readonly string[];
}

export const systemLookup: HostLookup = async (host) => (await dns.lookup(host, { all: true, verbatim: true })).map((a) => a.address);

function interfaceAddresses(): string[] {
  return Object.values(os.networkInterfaces()).flatMap((list) => (list ?? []).map((i) => i.address));
}

interface CompiledRules {
  allowed: NetworkList;
  denied: NetworkList;
  ports: ReadonlySet<number>;
  hosts: readonly string[];
}

function compile(rules: DestinationRules): CompiledRules {
  return {
    allowed: new NetworkList(rules.allowedNetworks),
    denied: new NetworkList(rules.deniedNetworks),
    ports: new Set(rules.allowedPorts),
    hosts: rules.allowedHosts.map(parseHostPattern),
  };
}

export class DestinationGuard {
  private rules: CompiledRules;
  private readonly builtIn = new NetworkList(BUILT_IN_DENIED_NETWORKS);
  private readonly loopback = new NetworkList(LOOPBACK_NETWORKS);
  private readonly lookup: HostLookup;

  constructor(private readonly opts: DestinationGuardOptions) {
    this.rules = compile(opts);
    this.lookup = opts.lookup ?? systemLookup;
  }

  /** Throws as update() would, changing nothing (a reload checks every part before it applies any). */
  static validate(rules: DestinationRules): void {
    compile(rules);
  }

  /** New settings (a reload): checked whole before they replace the old ones. */
  update(rules: DestinationRules): void {
    this.rules = compile(rules);
  }

  /** The guard as the connections' DestinationResolver. */
  readonly resolver = (dest: RtmpDestination, signal?: AbortSignal): Promise<string> => this.resolve(dest, signal);

  /**
   * Judges a destination and resolves to the address to connect to. Rejects with
   * DestinationRefusedError (a rule refused) or DestinationNotFoundError (no address).
   */
  async resolve(dest: { scheme: string; host: string; port: number }, signal?: AbortSignal): Promise<string> {
    const host = hostText(dest.host);
    if (dest.scheme !== 'rtmp' && dest.scheme !== 'rtmps') throw refusal('scheme', `scheme ${dest.scheme}`);
    const rules = this.rules;
    if (rules.hosts.length > 0 && !rules.hosts.some((p) => hostMatches(host, p))) throw refusal('rtmp_push_allowed_hosts', `host ${host}`);
    if (rules.ports.size > 0 && !rules.ports.has(dest.port)) throw refusal('rtmp_push_allowed_ports', `port ${dest.port}`);
    const addresses = (await this.addressesOf(host, signal)).map(reachedAddress);
    for (const address of addresses) {
      const rule = this.judge(address, dest.port);
      if (rule !== undefined) throw refusal(rule, host === address ? `${address} port ${dest.port}` : `${host} resolves to ${address}, port ${dest.port}`);
    }
    return addresses[0]!;
  }

  /** The rule refusing a literal address and port, or undefined when every rule allows it. */
  judge(address: string, port: number): GuardRule | undefined {
    const a = reachedAddress(address);
    if (this.builtIn.includes(a)) return 'link-local-metadata';
    if (this.opts.ownPorts().includes(port) && this.isOwnAddress(a)) return 'own-service-port';
    const rules = this.rules;
    if (rules.denied.includes(a)) return 'rtmp_push_denied_networks';
    if (!rules.allowed.empty && !rules.allowed.includes(a)) return 'rtmp_push_allowed_networks';
    return undefined;
  }

  private isOwnAddress(address: string): boolean {
    if (this.loopback.includes(address)) return true;
    const own = [...(this.opts.localAddresses ?? interfaceAddresses)()];
    const bind = this.opts.bindAddress;
    if (bind !== undefined && net.isIP(bind) !== 0) own.push(bind);
    const list = new NetworkList(own.filter((a) => net.isIP(a) !== 0 && !a.includes('%')).map(reachedAddress));
    return list.includes(address);
  }

  private async addressesOf(host: string, signal?: AbortSignal): Promise<string[]> {
    if (net.isIP(host) !== 0) return [host];
    const numeric = canonicalIpv4(host);
    if (numeric !== undefined) return [numeric];
    let found: readonly string[];
    try {
      found = await abortable(this.lookup(host), signal);
    } catch (err) {
      if (signal?.aborted) throw err;
      throw new DestinationNotFoundError(host, `${host}: ${(err as Error).message}`);
    }
    const valid = found.filter((a) => net.isIP(a) !== 0);
    if (valid.length === 0) throw new DestinationNotFoundError(host, `${host}: no address`);
    return valid;
  }
}

function refusal(rule: GuardRule, what: string): DestinationRefusedError {
  return new DestinationRefusedError(`destination refused by rule "${rule}": ${RULE_TEXT[rule]}`, rule, `${what} refused by ${rule}`);
}

/** The host as judged: without IPv6 brackets, lower case, no trailing dot. */
function hostText(host: string): string {
  const h = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  return h.toLowerCase().replace(/\.$/, '');
}

/** 0.0.0.0 and :: reach this host: they are judged and connected to as loopback. */
function reachedAddress(address: string): string {
  if (address === '0.0.0.0') return '127.0.0.1';
  if (net.isIPv6(address)) {
    if (UNSPECIFIED_V6.includes(address)) return '::1';
    if (MAPPED_UNSPECIFIED.includes(address)) return '127.0.0.1';
  }
  return address;
}

const UNSPECIFIED_V6 = new NetworkList(['::/128']);
const MAPPED_UNSPECIFIED = new NetworkList(['::ffff:0.0.0.0/128']);

function abortable<T>(promise: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(signal.reason instanceof Error ? signal.reason : new Error(String(signal.reason ?? 'cancelled')));
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason instanceof Error ? signal.reason : new Error(String(signal.reason ?? 'cancelled')));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => { signal.removeEventListener('abort', onAbort); resolve(v); },
      (e: unknown) => { signal.removeEventListener('abort', onAbort); reject(e); },
    );
  });
}
