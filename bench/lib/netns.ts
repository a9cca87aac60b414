/**
 * Benchmarks with a browser run in a private network namespace (only `lo`, up), as the
 * tests do, so that every packet stays on loopback. A bench started on the host re-runs
 * itself under `unshare --net`; one already inside (bench/run.ts under unshare) runs as is.
 * A bench also runs under the service's production node flags (src/node-flags.ts), since
 * several run the service in their own process: started without them, it re-runs itself
 * with them.
 */
import { spawnSync } from 'node:child_process';
import { networkInterfaces } from 'node:os';
import { NODE_FLAGS } from '../../src/node-flags';

const MARK = 'RTMP_TRANSPONDER_BENCH_NETNS';

/** True when this process has no network interface but loopback. */
export function networkIsolated(): boolean {
  if (process.env[MARK] === '1') return true;
  return Object.keys(networkInterfaces()).every((name) => name === 'lo');
}

/** True when `unshare --net` works here (root, or user namespaces allowed). */
export function canUnshare(): boolean {
  return spawnSync('unshare', ['--net', 'true'], { stdio: 'ignore' }).status === 0;
}

/**
 * When not isolated and `unshare --net` works, or when node runs without the production
 * flags, runs this same script again (in a new network namespace with lo up, with the
 * flags added) and exits with its status; otherwise returns (not isolated: the caller
 * runs on the host's loopback and should say so).
 */
export function reexecIsolatedOrContinue(): void {
  const missing = NODE_FLAGS.filter((f) => !process.execArgv.includes(f));
  const isolate = !networkIsolated() && canUnshare();
  if (!isolate && missing.length === 0) return;
  const argv = [process.execPath, ...process.execArgv, ...missing, ...process.argv.slice(1)];
  const [file, ...args] = isolate ? ['unshare', '--net', 'bash', '-c', 'ip link set lo up && exec "$@"', '_', ...argv] : argv;
  const r = spawnSync(file, args, {
    stdio: 'inherit',
    env: isolate ? { ...process.env, [MARK]: '1' } : process.env,
  });
  process.exit(r.status ?? 1);
}
