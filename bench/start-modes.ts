/**
 * npx tsx bench/start-modes.ts [--modes npm-start,start-prod,node] [--app-dir DIR] [--user NAME] [--relay-seconds S]
 *
 * Memory of the service under each way of starting it, idle and with one relay (one
 * generated 720p30 publisher from tools/load-publisher.ts, pushed to nginx-rtmp):
 * - `npm-start`:  `npm start -- --config F`        (npm → sh → tsx → node with the tsx loader)
 * - `start-prod`: `npm run start:prod -- --config F` (npm → sh → node dist/src/main.js)
 * - `node`:       `node dist/src/main.js --config F` (what the Docker image runs)
 * RSS is summed over the process tree from /proc (VmRSS; shared pages count in each
 * process, as `ps` shows them), with the service's own node process and its ffmpeg
 * children apart. Builds dist/ first (`npm run build`) unless --app-dir points at a
 * built copy (e.g. one laid out like the Docker image, run as --user nobody). Runs in a
 * private network namespace when it can. Prints a markdown table; nothing is asserted.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, NginxRtmp } from '../test/helpers/nginx-rtmp';
import { LoadPublisher } from '../tools/load-publisher';
import { ROOT } from './lib/child';
import { networkIsolated, reexecIsolatedOrContinue } from './lib/netns';
import { processTree, rssKib } from './lib/proc-sampler';
import { setTimeout as sleep } from 'node:timers/promises';

type Mode = 'npm-start' | 'start-prod' | 'node';

interface Options {
  modes: Mode[];
  appDir: string;
  user?: string;
  relaySeconds: number;
}

interface Footprint {
  processes: number;
  treeMiB: number;
  serviceMiB: number;
  ffmpegMiB: number;
}

function parseOptions(argv: string[]): Options {
  const opts: Options = { modes: ['npm-start', 'start-prod', 'node'], appDir: ROOT, relaySeconds: 10 };
  for (let i = 0; i < argv.length; i++) {
    const [flag, value] = [argv[i], argv[i + 1]];
    if (flag === '--modes' && value) opts.modes = value.split(',') as Mode[];
    else if (flag === '--app-dir' && value) opts.appDir = value;
    else if (flag === '--user' && value) opts.user = value;
    else if (flag === '--relay-seconds' && value) opts.relaySeconds = Number(value);
    else throw new Error(`unknown or incomplete argument "${flag}"`);
    i++;
  }
  return opts;
}

function commandOf(mode: Mode, opts: Options, config: string): { file: string; args: string[] } {
  const main = join(opts.appDir, 'dist', 'src', 'main.js');
  if (mode === 'npm-start') return { file: 'npm', args: ['start', '--', '--config', config] };
  if (mode === 'start-prod') return { file: 'npm', args: ['run', 'start:prod', '--', '--config', config] };
  return { file: process.execPath, args: [main, '--config', config] };
}

function idsOf(user: string): { uid: number; gid: number } {
  const line = readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith(`${user}:`));
  if (!line) throw new Error(`no user ${user}`);
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

function commOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
}

function cmdlineOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
  } catch {
    return '';
  }
}

/** The tree under the spawned command; the service is the node process running main. */
function footprint(root: number): Footprint {
  const pids = processTree(root).filter((pid) => rssKib(pid) > 0);
  const mib = (list: number[]): number => Math.round(list.reduce((sum, pid) => sum + rssKib(pid), 0) / 102.4) / 10;
  const service = pids.filter((pid) => commOf(pid).startsWith('node') && /main\.(ts|js)/.test(cmdlineOf(pid)));
  const ffmpeg = pids.filter((pid) => commOf(pid) === 'ffmpeg');
  return { processes: pids.length, treeMiB: mib(pids), serviceMiB: mib(service), ffmpegMiB: mib(ffmpeg) };
}

async function waitForOutput(out: () => string, proc: ChildProcess, pattern: RegExp, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!pattern.test(out())) {
    if (proc.exitCode !== null) throw new Error(`exited before ${pattern}:\n${out().slice(-2000)}`);
    if (Date.now() > end) throw new Error(`timed out waiting for ${pattern}:\n${out().slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function measure(mode: Mode, opts: Options, nginx: NginxRtmp): Promise<{ idle: Footprint; relay: Footprint }> {
  const dir = mkdtempSync(join(tmpdir(), 'start-modes-'));
  const http = await freePort();
  const ws = await freePort();
  const config = join(dir, 'bench.properties');
  writeFileSync(config, `http.port=${http}\nws.port=${ws}\nbind_address=127.0.0.1\nip=127.0.0.1\nip_local=127.0.0.1\n`);
  spawnSync('chmod', ['-R', 'a+rX', dir]);
  const { file, args } = commandOf(mode, opts, config);
  const ids = opts.user ? idsOf(opts.user) : {};
  // Its own process group, so the whole tree (npm, sh, tsx, node, ffmpeg) can be ended.
  const proc = spawn(file, args, { cwd: opts.appDir, stdio: ['ignore', 'pipe', 'pipe'], detached: true, ...ids });
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  let publisher: LoadPublisher | undefined;
  try {
    await waitForOutput(() => out, proc, /rtmp-transponder started/, 60_000);
    await sleep(3000);
    const idle = footprint(proc.pid!);
    publisher = new LoadPublisher({ url: `ws://127.0.0.1:${ws}`, streams: 1, namePrefix: 'bench' });
    await publisher.start();
    const res = await fetch(`http://127.0.0.1:${http}/rest-api/push/startup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ streamName: 'bench1', rtmpUrl: nginx.url() }),
    });
    if (!res.ok) throw new Error(`startup: ${res.status} ${await res.text()}`);
    await sleep(opts.relaySeconds * 1000);
    const relay = footprint(proc.pid!);
    const found = await fetch(`http://127.0.0.1:${http}/rest-api/push/find_all`, { method: 'POST' });
    const states = ((await found.json()) as Array<{ status: string }>).map((t) => t.status);
    if (states.join() !== 'PUBLISHING') throw new Error(`${mode}: the relay is not PUBLISHING (${states.join() || 'none'})`);
    return { idle, relay };
  } finally {
    publisher?.close('bench over');
    try {
      process.kill(-proc.pid!, 'SIGTERM');
    } catch {
      /* already gone */
    }
    const timer = setTimeout(() => {
      try {
        process.kill(-proc.pid!, 'SIGKILL');
      } catch {
        /* gone */
      }
    }, 15_000);
    if (proc.exitCode === null) await new Promise((r) => proc.once('exit', r));
    clearTimeout(timer);
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  reexecIsolatedOrContinue();
  const opts = parseOptions(process.argv.slice(2));
  if (opts.appDir === ROOT && opts.modes.some((m) => m !== 'npm-start')) {
    const build = spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' });
    if (build.status !== 0) throw new Error('npm run build failed');
  }
  const nginx = await NginxRtmp.start({ hooks: false });
  const rows: string[] = [];
  try {
    for (const mode of opts.modes) {
      const { idle, relay } = await measure(mode, opts, nginx);
      const cell = (f: Footprint): string => `${f.treeMiB} MiB (${f.processes} proc.) | ${f.serviceMiB} MiB`;
      rows.push(`| ${mode} | ${cell(idle)} | ${cell(relay)} | ${relay.ffmpegMiB} MiB |`);
    }
  } finally {
    await nginx.stop();
  }
  console.log(`\nnode ${process.version}, ${networkIsolated() ? 'private network namespace' : 'host loopback'}, relay: one 720p30 ~2 Mbit/s load publisher → nginx-rtmp, measured after ${opts.relaySeconds} s\n`);
  console.log('| start | idle: tree (processes) | idle: service | one relay: tree (processes) | one relay: service | of which ffmpeg |');
  console.log('|---|---|---|---|---|---|');
  for (const row of rows) console.log(row);
}

main().catch((err: Error) => {
  console.error(err);
  process.exit(1);
});
