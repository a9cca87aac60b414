import { canonicalIpv4 } from '../../src/access/ipv4-spellings';

describe('canonicalIpv4: the address an inet_aton spelling reaches', () => {
  test.each([
    ['127.0.0.1', '127.0.0.1'],
    ['2130706433', '127.0.0.1'],
    ['0x7f000001', '127.0.0.1'],
    ['0X7F000001', '127.0.0.1'],
    ['127.1', '127.0.0.1'],
    ['0177.0.0.1', '127.0.0.1'],
    ['0x7f.1', '127.0.0.1'],
    ['127.0.1', '127.0.0.1'],
    ['169.254.43518', '169.254.169.254'],
    ['0xa9fea9fe', '169.254.169.254'],
    ['0', '0.0.0.0'],
    ['4294967295', '255.255.255.255'],
    ['10.0.0.010', '10.0.0.8'],
  ])('%s → %s', (text, address) => {
    expect(canonicalIpv4(text)).toBe(address);
  });

  test.each([
    ['1password.com'],
    ['example.com'],
    ['4294967296'],
    ['256.1.1.1'],
    ['1.2.3.4.5'],
    ['08.0.0.1'],
    ['1.2.3.256'],
    ['1..2'],
    [''],
    ['0x1g'],
  ])('%s is not a number address', (text) => {
    expect(canonicalIpv4(text)).toBeUndefined();
  });
});
