/**
 * Settings changed under a live relay. A publisher speaking the WCS protocol over WebRTC
 * (the project's load publisher, werift) publishes; auto start relays it to a real
 * nginx-rtmp; the test then edits the properties file the service was started with and
 * reloads it. Throughout, the push stays PUBLISHING and nginx sees one publish only; a
 * live change (REST auth turned on) takes effect at the next request, a restart-only
 * change (http.port) is reported and not applied, an invalid file changes nothing, and
 * the reload route itself needs the credentials once they are on. Runs in a private
 * network namespace (npm test), all on 127.0.0.1.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadSettings, type LogLevelName } from '../../src/config';
import { TransponderService } from '../../src/server';
import type { TransponderInfo } from '../../src/transponder/transponder-api';
import { LoadPublisher } from '../../tools/load-publisher';
import { freePort, NginxRtmp } from '../helpers/nginx-rtmp';
import { StatusWatch } from '../helpers/status-watch';
import { holdsFor, waitFor, waitForValue } from '../helpers/wait-for';
import { MemoryLogger } from '../helpers/memory-logger';

jest.setTimeout(120_000);

const TOKEN = 'reload-token-3f9c';
const STREAM = 'reload-1';

let dir: string;
let file: string;
let nginx: NginxRtmp;
let httpPort: number;
let wsPort: number;
let service: TransponderService;
let publisher: LoadPublisher;
let log: MemoryLogger;
const levels: LogLevelName[] = [];
let push: TransponderInfo;
let watch: StatusWatch;

/** The settings file: what every test starts from, plus `extra` lines (later lines win). */
function writeSettings(extra: string[] = []): void {
  fs.writeFileSync(file, [
    '# settings of the reload test',
    `http.port=${httpPort}`,
    `ws.port=${wsPort}`,
    'bind_address=127.0.0.1',
    'ip=127.0.0.1',
    'ip_local=127.0.0.1',
    'rtmp_push_auto_start=true',
    `rtmp_push_auto_start_url=${nginx.url('live')}`,
    ...extra,
    '',
  ].join('\n'));
}

async function post(route: string, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> {
  const res = await fetch(`http://127.0.0.1:${httpPort}/rest-api/${route}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: '{}',
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

const BEARER = { authorization: `Bearer ${TOKEN}` };

function current(): TransponderInfo | undefined {
  return service.transponders.findAll().find((t) => t.mediaSessionId === push.mediaSessionId);
}

function publishesAtNginx(): number {
  return nginx.hooks.calls.filter((c) => c.call === 'publish' && c.params.name === `rtmp_${STREAM}`).length;
}

/** The relay holds: PUBLISHING, one publish at nginx, none ended. */
function relayHolds(): boolean {
  return current()?.status === 'PUBLISHING' && publishesAtNginx() === 1 && !nginx.publishEnded(`rtmp_${STREAM}`);
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'settings-reload-'));
  file = path.join(dir, 'flashphoner.properties');
  nginx = await NginxRtmp.start();
  [httpPort, wsPort] = [await freePort(), await freePort()];
  writeSettings();
  log = new MemoryLogger();
  service = new TransponderService((await loadSettings(file)).settings, log, { settingsFile: file, onLogLevel: (level) => levels.push(level) });
  await service.start();
  publisher = new LoadPublisher({ url: `ws://127.0.0.1:${wsPort}`, streams: 1, namePrefix: 'reload-' });
  await publisher.start();
  push = await waitForValue(() => service.transponders.findAll().find((t) => t.status === 'PUBLISHING'), { what: 'the auto-started push PUBLISHING', timeoutMs: 20_000 });
  await waitFor(() => publishesAtNginx() === 1, { what: 'the publish at nginx' });
  watch = new StatusWatch(current);
});

afterAll(async () => {
  watch?.stop();
  await publisher?.close('test over');
  await service?.stop();
  await nginx?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('a settings reload under a live relay', () => {
  it('turns REST auth on at once, reports http.port as needing a restart, and never drops the push', async () => {
    const otherPort = await freePort();
    const relayWatch = holdsFor(relayHolds, { durationMs: 6_000, what: 'the relay PUBLISHING with one publish at nginx', intervalMs: 20, seen: () => JSON.stringify(watch.seen) });
    writeSettings(['disable_rest_auth=false', `rest_auth_token=${TOKEN}`, `http.port=${otherPort}`, 'log_level=debug', 'rtmp_push_restore=true']);
    const answer = await post('settings/reload');
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({
      file,
      applied: [
        { key: 'rtmp_push_restore', from: 'false', to: 'true' },
        { key: 'disable_rest_auth', from: 'true', to: 'false' },
        { key: 'rest_auth_token', from: '(unset)', to: '***' },
        { key: 'log_level', from: 'info', to: 'debug' },
      ],
      restartRequired: [{ key: 'http.port', from: String(httpPort), to: String(otherPort) }],
      warnings: [`${file}:11: http.port is set again (first at line 2); the value from line 11 is used`],
    });
    expect(JSON.stringify(answer.body)).not.toContain(TOKEN);

    // Live: the next request needs the token.
    expect((await post('push/find_all')).status).toBe(401);
    const listed = await post('push/find_all', BEARER);
    expect(listed.status).toBe(200);
    expect(listed.body).toEqual([expect.objectContaining({ mediaSessionId: push.mediaSessionId, status: 'PUBLISHING' })]);
    expect(levels).toEqual(['debug']);
    // Restart-only: the old port still serves, the new one is not opened.
    await expect(fetch(`http://127.0.0.1:${otherPort}/health`)).rejects.toThrow();
    expect((await fetch(`http://127.0.0.1:${httpPort}/health`)).status).toBe(200);
    expect(log.lines).toEqual(expect.arrayContaining([
      expect.objectContaining({ level: 'info', msg: 'settings reloaded' }),
      expect.objectContaining({ level: 'warn', msg: expect.stringMatching(/need a restart/), fields: { restartRequired: [expect.objectContaining({ setting: 'http.port' })] } }),
    ]));
    expect(JSON.stringify(log.lines)).not.toContain(TOKEN);

    // Media keeps flowing after the reload (about 2 s more), on the same connection.
    const framesAtReload = current()!.stats.framesSent;
    await waitFor(() => (current()?.stats.framesSent ?? 0) > framesAtReload + 100, { what: '100 more frames sent after the reload', timeoutMs: 20_000 });
    await relayWatch;
    expect(watch.statuses).toEqual(['PUBLISHING']);
    expect(current()?.stats).toMatchObject({ restores: 0 });
    expect(publishesAtNginx()).toBe(1);
  });

  it('an invalid file changes nothing and says why; the reload route needs the credentials', async () => {
    // From the state the first test left: auth on with TOKEN.
    writeSettings(['disable_rest_auth=false', `rest_auth_token=${TOKEN}`, 'log_level=debug', 'rtmp_push_restore=true']);
    expect((await post('settings/reload', BEARER)).status).toBe(200);
    const relayWatch = holdsFor(relayHolds, { durationMs: 3_000, what: 'the relay PUBLISHING with one publish at nginx', intervalMs: 20, seen: () => JSON.stringify(watch.seen) });

    // Turning auth off by file needs the credentials to reload, like every route.
    writeSettings(['disable_rest_auth=true']);
    const refused = await post('settings/reload');
    expect(refused.status).toBe(401);
    expect((await post('push/find_all')).status).toBe(401);

    // An invalid file: auth off in it too, but nothing is applied.
    writeSettings(['disable_rest_auth=true', 'rtmp_push_restore_attempts=abc', 'max_streams_total=0']);
    const invalid = await post('settings/reload', BEARER);
    expect(invalid.status).toBe(422);
    expect(invalid.body).toMatchObject({
      code: 'SETTINGS_INVALID',
      problems: [
        `${file}:10: rtmp_push_restore_attempts = "abc": expected an integer >= -1`,
        `${file}:11: max_streams_total = "0": expected an integer >= 1`,
      ],
    });
    expect((await post('push/find_all')).status).toBe(401);
    expect((await post('push/find_all', BEARER)).status).toBe(200);
    expect(log.lines).toEqual(expect.arrayContaining([
      expect.objectContaining({ level: 'error', msg: 'settings not reloaded: nothing changed', fields: expect.objectContaining({ problems: invalid.body.problems }) }),
    ]));

    await relayWatch;
    expect(watch.statuses).toEqual(['PUBLISHING']);
    expect(publishesAtNginx()).toBe(1);
  });
});
