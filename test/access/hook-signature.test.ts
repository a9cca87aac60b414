/**
 * The hook signature, from the WCS docs ("Authorization on backend"): HMAC-MD5 of the
 * request body keyed with rest_hook_secret_key, hex, in `Authorization: WCS <hex>`.
 * Vectors from RFC 2202 (HMAC-MD5) and RFC 4231 (HMAC-SHA256), not from our own output.
 */
import { hookAuthorization } from '../../src/access/rest-hooks/hook-signature';

describe('hookAuthorization', () => {
  test('md5 is the WCS header over the body bytes (RFC 2202 test case 2)', () => {
    const body = Buffer.from('what do ya want for nothing?', 'ascii');
    expect(hookAuthorization(body, { key: 'Jefe', algorithm: 'md5' })).toBe('WCS 750c783e6ab0b503eaa86e310a5db738');
  });

  test('sha256, our extension, has its own scheme name (RFC 4231 test case 2)', () => {
    const body = Buffer.from('what do ya want for nothing?', 'ascii');
    expect(hookAuthorization(body, { key: 'Jefe', algorithm: 'sha256' })).toBe(
      'HMAC-SHA256 5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
    );
  });

  test('the key is taken as UTF-8 text, the body as the exact bytes sent', () => {
    // RFC 2202 test case 1: key 0x0b x16 — as a string of that character.
    const key = '\u000b'.repeat(16);
    expect(hookAuthorization(Buffer.from('Hi There'), { key, algorithm: 'md5' })).toBe('WCS 9294727a3638bb1c13f48ef8158bfc9d');
    const a = hookAuthorization(Buffer.from('{"a":1}'), { key: 'k', algorithm: 'md5' });
    const b = hookAuthorization(Buffer.from('{"a": 1}'), { key: 'k', algorithm: 'md5' });
    expect(a).not.toBe(b);
  });
});
