/** publish_token: the page's createSession({custom: {token}}) must carry it when it is set. */
import { checkPublishToken, TOKEN_MISSING, TOKEN_WRONG } from '../../src/access/publish-token';

describe('checkPublishToken', () => {
  test('no token set: every connection is admitted', () => {
    expect(checkPublishToken(undefined, {})).toEqual({ ok: true });
  });

  test('the right token is admitted; a wrong, missing or non-text one is refused with a clear reason', () => {
    expect(checkPublishToken('s3cret', { custom: { token: 's3cret' } })).toEqual({ ok: true });
    expect(checkPublishToken('s3cret', { custom: { token: 's3cret ' } })).toEqual({ ok: false, info: TOKEN_WRONG });
    expect(checkPublishToken('s3cret', { custom: { token: 's3cre' } })).toEqual({ ok: false, info: TOKEN_WRONG });
    expect(checkPublishToken('s3cret', { custom: {} })).toEqual({ ok: false, info: TOKEN_MISSING });
    expect(checkPublishToken('s3cret', {})).toEqual({ ok: false, info: TOKEN_MISSING });
    expect(checkPublishToken('s3cret', { custom: { token: 42 } })).toEqual({ ok: false, info: TOKEN_MISSING });
    expect(checkPublishToken('s3cret', { custom: 'token' })).toEqual({ ok: false, info: TOKEN_MISSING });
  });

  test('the reasons never contain the token', () => {
    const r = checkPublishToken('s3cret', { custom: { token: 'guess' } });
    expect(JSON.stringify(r)).not.toMatch(/s3cret|guess/);
  });
});
