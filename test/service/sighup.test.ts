/**
 * `kill -HUP` re-reads the properties file given with --config: the running service logs
 * what it applied and what needs a restart, or, for an invalid file, why nothing changed;
 * it keeps running either way.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../helpers/nginx-rtmp';
import { runCli, serviceProcessOf, waitForOutput, type CliRun } from '../helpers/run-cli';

jest.setTimeout(40_000);

let dir: string;
let run: CliRun | undefined;
/** The node process running src/main.ts: tsx (the runner) relays SIGINT and SIGTERM to it, not SIGHUP. */
let service: number | undefined;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sighup-'));
});

afterEach(async () => {
  // tsx and the service under it: the run's whole process group.
  await run?.end();
  service = undefined;
  run = undefined;
  fs.rmSync(dir, { recursive: true, force: true });
});

async function findAll(http: number, headers: Record<string, string> = {}): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${http}/rest-api/push/find_all`, { method: 'POST', headers });
  await res.arrayBuffer();
  return res.status;
}

it('SIGHUP applies REST auth at once, reports a port change, and refuses an invalid file', async () => {
  const http = await freePort();
  const ws = await freePort();
  const file = path.join(dir, 'test.properties');
  const base = `http.port=${http}\nws.port=${ws}\nbind_address=127.0.0.1\n`;
  fs.writeFileSync(file, base);
  run = runCli('src/main.ts', ['--config', file]);
  await waitForOutput(run, /rtmp-transponder started/, 20_000);
  service = serviceProcessOf(run);
  expect(await findAll(http)).toBe(404); // open, and nothing relayed yet

  fs.writeFileSync(file, `${base}disable_rest_auth=false\nrest_auth_token=hup-token-77\nws.port=${ws + 1}\n`);
  process.kill(service, 'SIGHUP');
  await waitForOutput(run, /settings reloaded/, 10_000);
  expect(run.output()).toMatch(/"restartRequired":\[\{"setting":"ws\.port".*"msg":"settings changed in the file need a restart/);
  expect(await findAll(http)).toBe(401);
  expect(await findAll(http, { authorization: 'Bearer hup-token-77' })).toBe(404);

  fs.writeFileSync(file, `${base}disable_rest_auth=true\nrtmp_push_restore_attempts=abc\n`);
  process.kill(service, 'SIGHUP');
  await waitForOutput(run, /settings not reloaded: nothing changed/, 10_000);
  expect(run.output()).toContain(`${file}:5: rtmp_push_restore_attempts = \\"abc\\": expected an integer >= -1`);
  expect(await findAll(http)).toBe(401);
  expect(run.output()).not.toContain('hup-token-77');

  run.proc.kill('SIGTERM');
  expect(await run.exited).toBe(0);
});
