/**
 * npx tsx bench/idle-memory.ts [--quick] [--idle-seconds S] [--flags "V8 FLAGS"]...
 *
 * The memory of the service at rest under the production start: `node [the flags of
 * npm run start:prod] dist/src/main.js` (node alone, no npm around it) with the shipped
 * flashphoner.properties, only its ports moved to free ones. Builds dist/ first when it
 * is missing or older than src/. Reports, per way of starting:
 * - the time from spawn to GET /ready answering 200;
 * - VmRSS 2 s after ready, and at rest: V8 keeps the young generation it grew while
 *   loading the modules (two semi-spaces of up to 16 MiB) until a later GC shrinks it,
 *   which an idle process reaches when V8's memory reducer runs, 8 s to a minute or more
 *   after start. Waits for that up to `--idle-seconds` (120, 30 with --quick) and says
 *   when it came;
 * - the V8 heap from GET /metrics at the end (nodejs_heap_* of prom-client: used, total,
 *   the young generation's size), no GC forced, as a scrape would see it.
 * Each `--flags` adds a row started with those node flags instead of start:prod's, to
 * compare. Nothing is asserted.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './lib/child';
import { reexecIsolatedOrContinue } from './lib/netns';
import { rssKib } from './lib/proc-sampler';
import { round, renderSection, type BenchSection } from './lib/report';
import { freePort } from '../test/helpers/nginx-rtmp';
import { setTimeout as sleep } from 'node:timers/promises';

const MAIN = join(ROOT, 'dist', 'src', 'main.js');

interface IdleFigures {
  startupMs: number;
  rssAtReadyMiB: number;
  rssIdleMiB: number;
  /** Seconds after ready until V8 gave back the young generation; undefined when it did not within the window. */
  restedAfterS: number | undefined;
  heapUsedMiB: number;
  heapTotalMiB: number;
  newSpaceMiB: number;
  externalMiB: number;
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/** `npm run build` unless dist/ is newer than every source file. */
function buildIfStale(): void {
  let built = 0;
  try {
    built = statSync(MAIN).mtimeMs;
  } catch {
    /* not built */
  }
  if (built > newestMtime(join(ROOT, 'src'))) return;
  const build = spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
  if (build.status !== 0) throw new Error('npm run build failed');
}

/** The node flags of `npm run start:prod` ("node FLAGS dist/src/main.js"). */
export function startProdFlags(script: string): string[] {
  const m = /^node\s+(.*?)\s*dist\/src\/main\.js/.exec(script.trim());
  if (!m) throw new Error(`start:prod is not "node [flags] dist/src/main.js": ${script}`);
  return m[1].split(/\s+/).filter((f) => f.length > 0);
}

/** The shipped properties with the listening ports replaced by free ones. */
function shippedPropertiesOnPorts(ports: Record<string, number>): string {
  const lines = readFileSync(join(ROOT, 'flashphoner.properties'), 'utf8').split('\n');
  const seen = new Set<string>();
  const out = lines.map((line) => {
    const key = /^\s*([^#=\s]+)\s*=/.exec(line)?.[1];
    if (key === undefined || !(key in ports)) return line;
    seen.add(key);
    return `${key}=${ports[key]}`;
  });
  for (const [key, port] of Object.entries(ports)) if (!seen.has(key)) out.push(`${key}=${port}`);
  return out.join('\n');
}

const mib = (kib: number): number => round(kib / 1024, 1);

/** A prom-client sample's value: `name{labels} value` or `name value`. */
function metric(text: string, name: string, labels = ''): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels ? `{${labels}}` : ''} `));
  if (!line) throw new Error(`no ${name}${labels} in /metrics`);
  return Number(line.slice(line.lastIndexOf(' ') + 1));
}

async function measure(flags: string[], idleSeconds: number): Promise<IdleFigures> {
  const dir = mkdtempSync(join(tmpdir(), 'idle-memory-'));
  const httpPort = await freePort();
  const config = join(dir, 'shipped-on-free-ports.properties');
  writeFileSync(config, shippedPropertiesOnPorts({ 'http.port': httpPort, 'ws.port': await freePort(), 'wss.port': await freePort() }));
  const started = Date.now();
  const proc = spawn(process.execPath, [...flags, MAIN, '--config', config], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-20_000)));
  proc.stderr!.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-20_000)));
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  const base = `http://127.0.0.1:${httpPort}`;
  try {
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (proc.exitCode !== null) throw new Error(`the service exited before /ready:\n${out}`);
      if (Date.now() > deadline) throw new Error(`no /ready within 60 s:\n${out}`);
      const ok = await fetch(`${base}/ready`).then((r) => r.ok, () => false);
      if (ok) break;
      await sleep(20);
    }
    const startupMs = Date.now() - started;
    await sleep(2000);
    const rssAtReady = rssKib(proc.pid!);
    // At rest once V8 has given back the young generation's pages: RSS well below the
    // figure after ready (a tenth less) and not going lower.
    let rssIdle = rssAtReady;
    let restedAfterS: number | undefined;
    for (let s = 3; s <= idleSeconds; s++) {
      await sleep(1000);
      rssIdle = rssKib(proc.pid!);
      if (rssIdle < rssAtReady * 0.9) {
        restedAfterS = s;
        await sleep(2000);
        rssIdle = rssKib(proc.pid!);
        break;
      }
    }
    const metrics = await (await fetch(`${base}/metrics`)).text();
    const bytesMiB = (n: number): number => round(n / 1048576, 1);
    return {
      startupMs,
      rssAtReadyMiB: mib(rssAtReady),
      rssIdleMiB: mib(rssIdle),
      restedAfterS,
      heapUsedMiB: bytesMiB(metric(metrics, 'nodejs_heap_size_used_bytes')),
      heapTotalMiB: bytesMiB(metric(metrics, 'nodejs_heap_size_total_bytes')),
      newSpaceMiB: bytesMiB(metric(metrics, 'nodejs_heap_space_size_total_bytes', 'space="new"')),
      externalMiB: bytesMiB(metric(metrics, 'nodejs_external_memory_bytes')),
    };
  } finally {
    proc.kill('SIGTERM');
    const timer = setTimeout(() => proc.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function runIdleMemoryBench(opts: { quick?: boolean; idleSeconds?: number; extraFlags?: string[][] } = {}): Promise<BenchSection> {
  buildIfStale();
  const idleSeconds = opts.idleSeconds ?? (opts.quick ? 30 : 120);
  const script = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts['start:prod'];
  const starts: Array<{ label: string; flags: string[] }> = [{ label: `start:prod (${script.replace(/^node\s+/, 'node ')})`, flags: startProdFlags(script) }];
  for (const flags of opts.extraFlags ?? []) starts.push({ label: `node ${flags.join(' ')} dist/src/main.js`, flags });
  const rows: BenchSection['rows'] = [];
  for (const start of starts) {
    const f = await measure(start.flags, idleSeconds);
    rows.push({
      start: start.label,
      'to /ready (ms)': f.startupMs,
      'RSS 2 s after ready (MiB)': f.rssAtReadyMiB,
      'RSS at rest (MiB)': f.rssIdleMiB,
      'at rest after (s)': f.restedAfterS ?? `not within ${idleSeconds}`,
      'heap used (MiB)': f.heapUsedMiB,
      'heap total (MiB)': f.heapTotalMiB,
      'of which young gen. (MiB)': f.newSpaceMiB,
      'external (MiB)': f.externalMiB,
    });
  }
  return {
    title: 'Idle memory (production start, shipped flashphoner.properties)',
    rows,
    notes: [
      'One node process (no npm around it), no publisher, no push; RSS is /proc VmRSS of the service. Goal (issue 8): ≤ 80 MB idle.',
      'The heap figures come from one GET /metrics at the end (no GC forced): "used" holds garbage not yet collected.',
      'The young generation keeps the size it grew to while the modules loaded (up to 2 × 16 MiB) until a GC shrinks it: "at rest" is the RSS once V8\'s memory reducer ran (RSS a tenth below the figure after ready), 8 s to a minute or more after start, or the last figure of the window when it did not run.',
    ],
  };
}

function parseArgs(argv: string[]): { quick: boolean; idleSeconds?: number; extraFlags: string[][] } {
  const args = { quick: false, idleSeconds: undefined as number | undefined, extraFlags: [] as string[][] };
  for (let i = 0; i < argv.length; i++) {
    const [flag, value] = [argv[i], argv[i + 1]];
    if (flag === '--quick') args.quick = true;
    else if (flag === '--idle-seconds' && value) (args.idleSeconds = Number(value)), i++;
    else if (flag === '--flags' && value !== undefined) args.extraFlags.push(value.split(/\s+/).filter((f) => f)), i++;
    else throw new Error(`unknown or incomplete argument "${flag}"`);
  }
  return args;
}

if (require.main === module) {
  reexecIsolatedOrContinue();
  runIdleMemoryBench(parseArgs(process.argv.slice(2))).then(
    (section) => console.log(renderSection(section)),
    (err: Error) => {
      console.error(err);
      process.exit(1);
    },
  );
}
