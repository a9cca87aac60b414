/** `npm run push -- FILE.flv RTMP_URL`: the operator's destination check, against a real nginx-rtmp. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { NginxRtmp } from '../helpers/nginx-rtmp';
import { ffprobeStreams, makeTestFlv } from '../helpers/media-tools';
import { endCliRuns, runCli, type CliRun } from '../helpers/run-cli';
import { waitFor } from '../helpers/wait-for';

jest.setTimeout(60_000);

let nginx: NginxRtmp;
let dir: string;
let source: string;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'push-cli-'));
  source = path.join(dir, 'source.flv');
  await makeTestFlv(source, { seconds: 2, width: 320, height: 240, fps: 25, gop: 25 });
  nginx = await NginxRtmp.start();
});

afterAll(async () => {
  await nginx?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

function push(args: string[]): CliRun {
  return runCli('tools/push.ts', args);
}
/** Every CLI a test started, tsx and the script under it, still running or not. */
afterEach(endCliRuns);

describe('npm run push', () => {
  it('publishes the file in real time, prints the time to Publish.Start, and exits 0', async () => {
    const started = Date.now();
    const run = push([source, `${nginx.url()}/secret-key-123`]);
    expect(await run.exited).toBe(0);
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(1800); // paced: 2 s of media cannot leave in less (a lower bound only: load makes it longer)
    const out = run.output();
    expect(out).toMatch(/NetStream\.Publish\.Start after \d+ ms/);
    expect(out).toMatch(/done: 2\.0 s of media/);
    expect(out).not.toContain('secret-key-123'); // the key never reaches the terminal log
    await waitFor(() => nginx.recordingsDone('secret-key-123') === 1, { timeoutMs: 10_000, what: 'nginx to close the recording' });
    const [file] = nginx.recordings('secret-key-123');
    const streams = await ffprobeStreams(file);
    expect(streams.map((s) => s.codec_name).sort()).toEqual(['aac', 'h264']);
  });

  it('exits 1 with the reason when the server refuses the publish', async () => {
    nginx.hooks.refuse.add('banned');
    const run = push([source, `${nginx.url()}/banned`]);
    expect(await run.exited).toBe(1);
    expect(run.output()).toMatch(/push: failed: .*(refused|closed the connection)/);
  });

  it('exits 1 when nothing listens there', async () => {
    const run = push([source, 'rtmp://127.0.0.1:1/live/x']);
    expect(await run.exited).toBe(1);
    // The operator's tool shows the detail the service only logs.
    expect(run.output()).toMatch(/push: failed: cannot connect to the RTMP server \(.*ECONNREFUSED/);
  });

  it('exits 2 on a usage error', async () => {
    const run = push([source]);
    expect(await run.exited).toBe(2);
    expect(run.output()).toMatch(/usage: npm run push/);
    const bad = push([source, 'http://x/y/z']);
    expect(await bad.exited).toBe(2);
    expect(bad.output()).toMatch(/scheme "http"/);
  });
});
