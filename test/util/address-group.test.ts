import { addressGroup } from '../../src/util/address-group';

describe('addressGroup: the key per-address limits count under', () => {
  test.each([
    ['an IPv4 address is its own group', '192.0.2.1', '192.0.2.1'],
    ['IPv4-mapped IPv6 counts as the IPv4 address', '::ffff:192.0.2.1', '192.0.2.1'],
    ['IPv4-mapped IPv6 in hex groups too', '::ffff:c000:201', '192.0.2.1'],
    ['an IPv6 address counts by its /64', '2001:db8:1:2:aaaa:bbbb:cccc:dddd', '2001:db8:1:2::/64'],
    ['a compressed IPv6 address is expanded first', '2001:db8::1', '2001:db8:0:0::/64'],
    ['leading zeros and case do not matter', '2001:0DB8:0001:0002::1', '2001:db8:1:2::/64'],
    ['a zone index is ignored', 'fe80::1%eth0', 'fe80:0:0:0::/64'],
    ['loopback ::1', '::1', '0:0:0:0::/64'],
    ['a missing address still has one key', undefined, 'unknown'],
  ])('%s', (_name, input, expected) => {
    expect(addressGroup(input)).toBe(expected);
  });

  test('two addresses of one /64 share a group; the next /64 does not', () => {
    expect(addressGroup('2001:db8:1:2::1')).toBe(addressGroup('2001:db8:1:2:ffff:ffff:ffff:ffff'));
    expect(addressGroup('2001:db8:1:2::1')).not.toBe(addressGroup('2001:db8:1:3::1'));
  });

  test('neighbouring IPv4 addresses are separate groups', () => {
    expect(addressGroup('198.51.100.7')).not.toBe(addressGroup('198.51.100.8'));
  });
});
