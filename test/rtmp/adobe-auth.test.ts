import { execFileSync } from 'node:child_process';
import { adobeAuthQuery, adobeAuthResponse, appendQuery, parseAdobeAuthReply } from '../../src/rtmp/adobe-auth';

/** base64(md5(text)) computed by openssl, independently of our code. */
function opensslMd5Base64(text: string): string {
  const digest = execFileSync('openssl', ['dgst', '-md5', '-binary'], { input: text });
  return execFileSync('openssl', ['base64', '-A'], { input: digest }).toString().trim();
}

describe('authmod=adobe', () => {
  it('reads the first refusal, the challenge and a failure', () => {
    expect(parseAdobeAuthReply('[ AccessManager.Reject ] : [ code=403 need auth; authmod=adobe ] : ')).toEqual({ kind: 'authmod-required' });
    expect(
      parseAdobeAuthReply('[ AccessManager.Reject ] : [ authmod=adobe ] : ?reason=needauth&user=bob&salt=Zx9&challenge=Ch4&opaque=Op1'),
    ).toEqual({ kind: 'challenge', salt: 'Zx9', challenge: 'Ch4', opaque: 'Op1' });
    expect(parseAdobeAuthReply('[ AccessManager.Reject ] : [ authmod=adobe ] : ?reason=authfailed&opcode=x')).toEqual({ kind: 'failed', reason: 'authfailed' });
    expect(parseAdobeAuthReply('NetConnection.Connect.Rejected: no such app')).toBeUndefined();
  });

  it('computes the response as base64(md5(base64(md5(user+salt+password)) + opaque + our challenge))', () => {
    const inner = opensslMd5Base64('bob' + 'Zx9' + 'pa55');
    const expected = opensslMd5Base64(inner + 'Op1' + 'c0ffee42');
    expect(adobeAuthResponse('bob', 'pa55', 'Zx9', 'Op1', 'c0ffee42')).toBe(expected);
  });

  it('builds each step query, never with the password in clear', () => {
    expect(adobeAuthQuery('bob')).toBe('authmod=adobe&user=bob');
    const q = adobeAuthQuery('bob', 'pa55', { kind: 'challenge', salt: 'Zx9', challenge: 'Ch4', opaque: 'Op1' }, 'c0ffee42');
    expect(q).toBe(`authmod=adobe&user=bob&challenge=c0ffee42&response=${adobeAuthResponse('bob', 'pa55', 'Zx9', 'Op1', 'c0ffee42')}&opaque=Op1`);
    expect(q).not.toContain('pa55');
  });

  it('uses the server challenge when there is no opaque', () => {
    const q = adobeAuthQuery('bob', 'pa55', { kind: 'challenge', salt: 'S', challenge: 'C' }, '00000001');
    expect(q).toContain(`response=${adobeAuthResponse('bob', 'pa55', 'S', 'C', '00000001')}`);
    expect(q).not.toContain('opaque');
  });

  it('appends to an app that already has a query', () => {
    expect(appendQuery('live', 'a=1')).toBe('live?a=1');
    expect(appendQuery('live/?x', 'a=1')).toBe('live/?x&a=1');
  });
});
