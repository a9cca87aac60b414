/**
 * Benchmarks with a browser run in a private network namespace (only `lo`, up), as the
 * tests do, so that every packet stays on loopback. A bench started on the host re-runs
 * itself under `unshare --net`; one already inside (bench/run.ts under unshare) runs as is.
 */
import { spawnSync } from 'node:child_process';
import { networkInterfaces } from 'node:os';

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
 * When not isolated and `unshare --net` works, runs this same script again in a new
 * network namespace with lo up, and exits with its status; otherwise returns (the
 * caller runs on the host's loopback and should say so).
 */
export function reexecIsolatedOrContinue(): void {
  if (networkIsolated() || !canUnshare()) return;
  const argv = [process.execPath, ...process.execArgv, ...process.argv.slice(1)];
  const r = spawnSync('unshare', ['--net', 'bash', '-c', 'ip link set lo up && exec "$@"', '_', ...argv], {
    stdio: 'inherit',
    env: { ...process.env, [MARK]: '1' },
  });
  process.exit(r.status ?? 1);
}
