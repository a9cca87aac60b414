/**
 * POST /rest-api/settings/reload through the REST server with a scripted reload, and the
 * authenticator whose credentials a reload swaps.
 */
import { SettingsError } from '../../src/config';
import { RestAuthenticator } from '../../src/rest';
import { registerSettingsRoutes, ReloadAnswer, ReloadRefused, type SettingsReloadPort } from '../../src/rest/settings-routes';
import { inject, makeServer, type Harness } from './fake-transponder-api';

let h: Harness;
afterEach(async () => {
  await h.app.close();
});

function serverWith(port: SettingsReloadPort, auth: RestAuthenticator = new RestAuthenticator({ disabled: true })): Harness {
  return makeServer({ auth, extraApiRoutes: (rest) => registerSettingsRoutes(rest, port) });
}

const problemsOf = (err: unknown): readonly string[] | undefined => (err instanceof SettingsError ? err.problems : undefined);

function reload(headers: Record<string, string> = {}, payload = '') {
  return inject(h.app, { method: 'POST', url: '/rest-api/settings/reload', headers, payload });
}

test('200 with what was applied and what needs a restart', async () => {
  const answer: ReloadAnswer = {
    file: '/etc/flashphoner.properties',
    applied: [{ key: 'rtmp_push_restore', from: 'false', to: 'true' }],
    restartRequired: [{ key: 'http.port', from: '8081', to: '9081' }],
    warnings: [],
  };
  h = serverWith({ reload: async () => answer, problemsOf });
  const res = await reload();
  expect(res.statusCode).toBe(200);
  expect(res.json()).toEqual(answer);
  expect(ReloadAnswer.safeParse(res.json()).success).toBe(true);
});

test('422 with every problem of an invalid file, file:line first', async () => {
  const problems = ['/etc/f.properties:3: max_streams_total = "0": expected an integer >= 1'];
  h = serverWith({ reload: async () => { throw new SettingsError('/etc/f.properties', problems); }, problemsOf });
  const res = await reload({ 'content-type': 'application/json' }, '{}');
  expect(res.statusCode).toBe(422);
  expect(res.json()).toEqual({
    error: 'Unprocessable Entity',
    code: 'SETTINGS_INVALID',
    message: `The settings file is invalid: nothing was changed: ${problems[0]}`,
    problems,
  });
  expect(ReloadRefused.safeParse(res.json()).success).toBe(true);
});

test('409 when the service has no settings file to re-read', async () => {
  h = serverWith({ reload: undefined, problemsOf });
  const res = await reload();
  expect(res.statusCode).toBe(409);
  expect(res.json()).toMatchObject({ code: 'RELOAD_UNAVAILABLE' });
});

test('an unexpected failure is a 500 without its message', async () => {
  h = serverWith({ reload: async () => { throw new Error('disk on fire /secret/path'); }, problemsOf });
  const res = await reload();
  expect(res.statusCode).toBe(500);
  expect(res.body).not.toContain('secret');
});

test('behind the REST credentials when they are on', async () => {
  let calls = 0;
  const auth = new RestAuthenticator({ disabled: false, token: 'tok-1' });
  h = serverWith({ reload: async () => { calls++; return { file: 'f', applied: [], restartRequired: [], warnings: [] }; }, problemsOf }, auth);
  expect((await reload()).statusCode).toBe(401);
  expect(calls).toBe(0);
  expect((await reload({ authorization: 'Bearer tok-1' })).statusCode).toBe(200);
  expect(calls).toBe(1);
});

describe('RestAuthenticator.update', () => {
  test('new credentials apply to the next request; auth can be turned on and off', async () => {
    const auth = new RestAuthenticator({ disabled: true });
    h = serverWith({ reload: undefined, problemsOf }, auth);
    const findAll = (headers: Record<string, string> = {}) =>
      inject(h.app, { method: 'POST', url: '/rest-api/push/find_all', headers, payload: '' });
    h.api.add();
    expect((await findAll()).statusCode).toBe(200);
    auth.update({ disabled: false, token: 'tok-2' });
    expect((await findAll()).statusCode).toBe(401);
    expect((await findAll({ authorization: 'Bearer tok-2' })).statusCode).toBe(200);
    auth.update({ disabled: false, user: 'admin', password: 'pw' });
    expect((await findAll({ authorization: 'Bearer tok-2' })).statusCode).toBe(401);
    expect((await findAll({ authorization: `Basic ${Buffer.from('admin:pw').toString('base64')}` })).statusCode).toBe(200);
    auth.update({ disabled: true });
    expect((await findAll()).statusCode).toBe(200);
  });

  test('unusable credentials are refused and the old ones stay', () => {
    const auth = new RestAuthenticator({ disabled: false, token: 'tok-3' });
    expect(() => auth.update({ disabled: false })).toThrow(/neither a user and password nor a token/);
    expect(auth.check('Bearer tok-3')).toBe(true);
    expect(auth.enabled).toBe(true);
  });
});
