import { DestinationGuard, type DestinationRules, type HostLookup } from '../../src/access';
import { DestinationNotFoundError, DestinationRefusedError } from '../../src/rtmp/destination';
import { parseRtmpUrl } from '../../src/rtmp/rtmp-url';
import { parseSettings } from '../../src/config';
import { destinationRulesFrom } from '../../src/server-options';

/** A DNS of the test's own: names of the example.test zone, nothing else resolves. */
const ZONE: Record<string, string[]> = {
  'metadata.example.test': ['169.254.169.254'],
  'mapped-metadata.example.test': ['::ffff:169.254.169.254'],
  'mixed.example.test': ['203.0.113.5', '169.254.169.254'],
  'live.example.test': ['203.0.113.10', '2001:db8::10'],
  'inside.example.test': ['10.1.2.3'],
  'self.example.test': ['127.0.0.1'],
};
const lookup: HostLookup = async (host) => {
  const found = ZONE[host];
  if (!found) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
  return found;
};

const NO_RULES: DestinationRules = { allowedNetworks: [], deniedNetworks: [], allowedPorts: [], allowedHosts: [] };
/** The service's own ports (ws.port, http.port) and one interface address of its own. */
const OWN_PORTS = [8080, 8081];
const INTERFACE = '192.0.2.7';

function guard(rules: Partial<DestinationRules> = {}): DestinationGuard {
  return new DestinationGuard({ ...NO_RULES, ...rules, ownPorts: () => OWN_PORTS, bindAddress: '0.0.0.0', lookup, localAddresses: () => [INTERFACE, 'fe80::1%eth0'] });
}

/** The rule refusing a URL, or `allowed → <address connected to>`. */
async function verdict(g: DestinationGuard, url: string): Promise<string> {
  const t = parseRtmpUrl(url, { fullUrl: true });
  try {
    return `allowed → ${await g.resolve(t)}`;
  } catch (err) {
    if (err instanceof DestinationRefusedError) return err.rule;
    if (err instanceof DestinationNotFoundError) return 'not found';
    throw err;
  }
}

describe('destination guard, default settings', () => {
  // The list: every one of these was relayed to before the guard.
  test.each([
    ['rtmp://169.254.169.254/live/k', 'link-local-metadata'],
    ['rtmp://169.254.169.254:80/live/k', 'link-local-metadata'],
    ['rtmp://10.0.0.1/live/k', 'allowed → 10.0.0.1'],
    ['rtmp://[::1]/live/k', 'allowed → ::1'],
    ['rtmp://[::1]:8081/live/k', 'own-service-port'],
    ['rtmp://10.0.0.1:22/live/k', 'allowed → 10.0.0.1'],
    ['rtmp://127.0.0.1:8081/live/k', 'own-service-port'],
    ['rtmp://2130706433:8081/live/k', 'own-service-port'],
    ['rtmp://2130706433/live/k', 'allowed → 127.0.0.1'],
    ['rtmp://0x7f000001:8081/live/k', 'own-service-port'],
    ['rtmp://127.1:8080/live/k', 'own-service-port'],
    ['rtmp://0177.0.0.1:8081/live/k', 'own-service-port'],
    ['rtmp://0xa9fea9fe/live/k', 'link-local-metadata'],
    ['rtmp://[::ffff:169.254.169.254]/live/k', 'link-local-metadata'],
    ['rtmp://[::ffff:a9fe:a9fe]/live/k', 'link-local-metadata'],
    ['rtmp://[64:ff9b::a9fe:a9fe]/live/k', 'link-local-metadata'],
    ['rtmp://[fd00:ec2::254]/live/k', 'link-local-metadata'],
    ['rtmp://[fe80::1]/live/k', 'link-local-metadata'],
    ['rtmp://[::ffff:127.0.0.1]:8081/live/k', 'own-service-port'],
    ['rtmp://0.0.0.0:8081/live/k', 'own-service-port'],
    ['rtmp://0.0.0.0/live/k', 'allowed → 127.0.0.1'],
    ['rtmp://[::]:8080/live/k', 'own-service-port'],
    [`rtmp://${INTERFACE}:8081/live/k`, 'own-service-port'],
    [`rtmp://${INTERFACE}/live/k`, 'allowed → 192.0.2.7'],
    ['rtmp://198.51.100.1:8081/live/k', 'allowed → 198.51.100.1'],
    ['rtmp://metadata.example.test/live/k', 'link-local-metadata'],
    ['rtmp://mapped-metadata.example.test/live/k', 'link-local-metadata'],
    ['rtmp://mixed.example.test/live/k', 'link-local-metadata'],
    ['rtmp://self.example.test:8081/live/k', 'own-service-port'],
    ['rtmp://live.example.test/live/k', 'allowed → 203.0.113.10'],
    ['rtmps://live.example.test/live/k', 'allowed → 203.0.113.10'],
    ['rtmp://nowhere.example.test/live/k', 'not found'],
  ])('%s: %s', async (url, expected) => {
    expect(await verdict(guard(), url)).toBe(expected);
  });

  it('refuses other schemes', async () => {
    await expect(guard().resolve({ scheme: 'http', host: 'live.example.test', port: 80 })).rejects.toMatchObject({ rule: 'scheme' });
  });

  it('names the rule to callers, and the address a name resolved to only in the detail', async () => {
    const err = await guard().resolve({ scheme: 'rtmp', host: 'metadata.example.test', port: 1935 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DestinationRefusedError);
    const refused = err as DestinationRefusedError;
    expect(refused.message).toBe('destination refused by rule "link-local-metadata": link-local and cloud metadata addresses are never relayed to');
    expect(refused.message).not.toMatch(/169\.254|metadata\.example/);
    expect(refused.detail).toContain('metadata.example.test resolves to 169.254.169.254');
  });
});

describe('destination guard settings', () => {
  it('rtmp_push_denied_networks denies loopback and private networks in every spelling', async () => {
    const g = guard({ deniedNetworks: ['127.0.0.0/8', '::1/128', '10.0.0.0/8'] });
    for (const url of ['rtmp://127.0.0.1/a/k', 'rtmp://2130706433/a/k', 'rtmp://0x7f000001/a/k', 'rtmp://127.1/a/k', 'rtmp://0177.0.0.1/a/k', 'rtmp://[::1]/a/k', 'rtmp://[::ffff:127.0.0.1]/a/k', 'rtmp://0.0.0.0/a/k', 'rtmp://10.0.0.1/a/k', 'rtmp://inside.example.test/a/k']) {
      expect([url, await verdict(g, url)]).toEqual([url, 'rtmp_push_denied_networks']);
    }
    expect(await verdict(g, 'rtmp://live.example.test/a/k')).toBe('allowed → 203.0.113.10');
  });

  it('rtmp_push_allowed_networks: only addresses inside; every address of a name must be', async () => {
    const g = guard({ allowedNetworks: ['203.0.113.0/24'] });
    expect(await verdict(g, 'rtmp://203.0.113.99/a/k')).toBe('allowed → 203.0.113.99');
    expect(await verdict(g, 'rtmp://10.0.0.1/a/k')).toBe('rtmp_push_allowed_networks');
    // live.example.test also has 2001:db8::10, outside the list.
    expect(await verdict(g, 'rtmp://live.example.test/a/k')).toBe('rtmp_push_allowed_networks');
    expect(await verdict(guard({ allowedNetworks: ['203.0.113.0/24', '2001:db8::/32'] }), 'rtmp://live.example.test/a/k')).toBe('allowed → 203.0.113.10');
    // The built-in denials stay: an allowed network does not lift them.
    expect(await verdict(guard({ allowedNetworks: ['169.254.0.0/16'] }), 'rtmp://169.254.169.254/a/k')).toBe('link-local-metadata');
  });

  it('rtmp_push_allowed_ports: the port must be listed', async () => {
    const g = guard({ allowedPorts: [1935, 443] });
    expect(await verdict(g, 'rtmp://10.0.0.1/a/k')).toBe('allowed → 10.0.0.1');
    expect(await verdict(g, 'rtmps://10.0.0.1/a/k')).toBe('allowed → 10.0.0.1');
    expect(await verdict(g, 'rtmp://10.0.0.1:22/a/k')).toBe('rtmp_push_allowed_ports');
  });

  it('rtmp_push_allowed_hosts: exact names and *.domain patterns; a literal address is not a listed name', async () => {
    const g = guard({ allowedHosts: ['*.example.test', 'other.test'] });
    expect(await verdict(g, 'rtmp://live.example.test/a/k')).toBe('allowed → 203.0.113.10');
    expect(await verdict(g, 'rtmp://LIVE.EXAMPLE.TEST/a/k')).toBe('allowed → 203.0.113.10');
    expect(await verdict(g, 'rtmp://example.test/a/k')).toBe('rtmp_push_allowed_hosts');
    expect(await verdict(g, 'rtmp://evilexample.test/a/k')).toBe('rtmp_push_allowed_hosts');
    expect(await verdict(g, 'rtmp://203.0.113.10/a/k')).toBe('rtmp_push_allowed_hosts');
    // A listed name is still judged by its addresses.
    expect(await verdict(g, 'rtmp://metadata.example.test/a/k')).toBe('link-local-metadata');
  });

  it('update() replaces the rules; a bad list is refused whole and the old rules stay', async () => {
    const g = guard();
    g.update({ ...NO_RULES, deniedNetworks: ['10.0.0.0/8'] });
    expect(await verdict(g, 'rtmp://10.0.0.1/a/k')).toBe('rtmp_push_denied_networks');
    expect(() => g.update({ ...NO_RULES, deniedNetworks: ['10.0.0.0/33'] })).toThrow(/prefix length/);
    expect(await verdict(g, 'rtmp://10.0.0.1/a/k')).toBe('rtmp_push_denied_networks');
  });

  it('reads the four settings from flashphoner.properties', () => {
    const { settings } = parseSettings(
      [
        'rtmp_push_allowed_networks = 203.0.113.0/24, 2001:db8::/32',
        'rtmp_push_denied_networks = 10.0.0.0/8,127.0.0.1',
        'rtmp_push_allowed_ports = 1935,443',
        'rtmp_push_allowed_hosts = *.rtmp.youtube.com, Live-API-s.facebook.com',
        'rtmp_push_from_client = false',
      ].join('\n'),
      'test.properties',
    );
    expect(destinationRulesFrom(settings)).toEqual({
      allowedNetworks: ['203.0.113.0/24', '2001:db8::/32'],
      deniedNetworks: ['10.0.0.0/8', '127.0.0.1/32'],
      allowedPorts: [1935, 443],
      allowedHosts: ['*.rtmp.youtube.com', 'live-api-s.facebook.com'],
    });
    expect(settings.rtmpPushFromClient).toBe(false);
  });

  it('defaults: no lists, pushes from pages allowed (as WCS)', () => {
    const { settings } = parseSettings('', 'test.properties');
    expect(destinationRulesFrom(settings)).toEqual(NO_RULES);
    expect(settings.rtmpPushFromClient).toBe(true);
  });

  test.each([
    ['rtmp_push_allowed_networks = 10.0.0.0/33', /rtmp_push_allowed_networks.*10\.0\.0\.0\/33/],
    ['rtmp_push_denied_networks = example.com', /rtmp_push_denied_networks.*example\.com/],
    ['rtmp_push_allowed_ports = 1935,70000', /rtmp_push_allowed_ports.*70000/],
    ['rtmp_push_allowed_hosts = http://x', /rtmp_push_allowed_hosts.*http:\/\/x/],
  ])('a wrong value refuses to load, naming the key and the item: %s', (line, message) => {
    expect(() => parseSettings(line, 'test.properties')).toThrow(message);
  });
});
