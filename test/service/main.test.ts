/** `npm start`: the service starts with a properties file, answers health, stops on signals. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../helpers/nginx-rtmp';
import { endCliRuns, runCli, waitForOutput, type CliRun } from '../helpers/run-cli';

jest.setTimeout(30_000);

let dir: string;
let run: CliRun | undefined;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'main-'));
});

afterEach(async () => {
  // Every run of the test, tsx and the service under it, whether the test passed or not.
  await endCliRuns();
  run = undefined;
  fs.rmSync(dir, { recursive: true, force: true });
});

async function writeConfig(extra = ''): Promise<{ file: string; http: number; ws: number }> {
  const http = await freePort();
  const ws = await freePort();
  const file = path.join(dir, 'test.properties');
  fs.writeFileSync(file, `# test settings\nhttp.port=${http}\nws.port=${ws}\nbind_address=127.0.0.1\nsome_wcs_only_setting=1\n${extra}`);
  return { file, http, ws };
}

describe('npm start', () => {
  it.each(['SIGTERM', 'SIGINT'] as const)('starts with --config, answers /health, and stops cleanly on %s', async (signal) => {
    const cfg = await writeConfig();
    run = runCli('src/main.ts', ['--config', cfg.file]);
    await waitForOutput(run, /rtmp-transponder started/, 20_000);
    const res = await fetch(`http://127.0.0.1:${cfg.http}/health`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'ok' });
    // One JSON line holds both, in pino's order (fields first, msg last).
    expect(run.output()).toMatch(/^(?=.*ignored)(?=.*some_wcs_only_setting).*$/m);
    run.proc.kill(signal);
    expect(await run.exited).toBe(0);
    expect(run.output()).toMatch(/stopped/);
  });

  it('refuses to start on a wrong value, naming the key and the line', async () => {
    const cfg = await writeConfig('rtmp_push_restore_attempts=abc\n');
    run = runCli('src/main.ts', ['--config', cfg.file]);
    expect(await run.exited).toBe(2);
    expect(run.output()).toMatch(/test\.properties:6: rtmp_push_restore_attempts = "abc"/);
  });

  it('refuses to start when ffmpeg_path points nowhere, naming the key, the line and why', async () => {
    const missing = path.join(dir, 'no', 'ffmpeg');
    const cfg = await writeConfig(`ffmpeg_path=${missing}\n`);
    run = runCli('src/main.ts', ['--config', cfg.file]);
    expect(await run.exited).toBe(2);
    expect(run.output()).toContain(`test.properties:6: ffmpeg_path = "${missing}": expected an executable file (a path, or a command on PATH): no such file`);
    expect(run.output()).not.toMatch(/rtmp-transponder started/);
  });

  it('names a missing properties file', async () => {
    run = runCli('src/main.ts', ['--config', path.join(dir, 'nope.properties')]);
    expect(await run.exited).toBe(2);
    expect(run.output()).toMatch(/nope\.properties/);
  });

  it('exits with an error when its port is taken', async () => {
    const cfg = await writeConfig();
    const first = runCli('src/main.ts', ['--config', cfg.file]);
    try {
      await waitForOutput(first, /rtmp-transponder started/, 20_000);
      run = runCli('src/main.ts', ['--config', cfg.file]);
      expect(await run.exited).toBe(1);
      expect(run.output()).toMatch(/^(?=.*cannot start)(?=.*EADDRINUSE).*$/m);
    } finally {
      first.proc.kill('SIGTERM');
      await first.exited;
    }
  });
});
