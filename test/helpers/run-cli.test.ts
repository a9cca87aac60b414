/**
 * runCli's cleanup: tsx runs the service in a child of its own, so a SIGKILL to tsx
 * alone would orphan the service; end() must leave neither.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './nginx-rtmp';
import { endCliRuns, runCli, serviceProcessOf, waitForOutput } from './run-cli';

jest.setTimeout(30_000);

let dir: string;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'run-cli-'));
});

afterEach(async () => {
  await endCliRuns();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Running (a zombie waiting for its reaper has ended). */
function running(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

test('end() SIGKILLs tsx and the service it runs, and resolves once both are gone; twice is harmless', async () => {
  const file = path.join(dir, 'test.properties');
  fs.writeFileSync(file, `http.port=${await freePort()}\nws.port=${await freePort()}\nbind_address=127.0.0.1\n`);
  const run = runCli('src/main.ts', ['--config', file]);
  await waitForOutput(run, /rtmp-transponder started/, 20_000);
  const service = serviceProcessOf(run);
  expect([running(run.proc.pid!), running(service)]).toEqual([true, true]);
  await run.end();
  expect([running(run.proc.pid!), running(service)]).toEqual([false, false]);
  expect(run.proc.signalCode).toBe('SIGKILL');
  await run.end();
});
