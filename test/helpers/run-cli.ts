/**
 * Runs one of our CLIs as a real child process: through tsx, as `npm start` / `npm run push` do, or compiled with plain node.
 *
 * tsx runs the script in a node process of its own, a child of tsx: a SIGKILL to tsx
 * alone would orphan that process (the service, still listening), and jest would wait
 * for it forever. So each run starts in a process group of its own (`detached`), and
 * end() SIGKILLs the whole group and waits until none of it is left. Signals a test
 * means as an operator would send them go through `proc.kill()` to the runner alone:
 * tsx relays SIGTERM and SIGINT to the service (signalling the group would deliver
 * them twice, and a second SIGTERM means "exit at once"); it does not relay SIGHUP, so
 * a test signals serviceProcessOf(run) for that.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');
const TSX = path.join(ROOT, 'node_modules/.bin/tsx');
/** How long end() waits for the group to go after its SIGKILL (the kernel needs moments, not seconds). */
const END_DEADLINE_MS = 10_000;

export interface CliRun {
  /** The runner (tsx, or node for a compiled script), leader of the run's process group. */
  proc: ChildProcess;
  output: () => string;
  /** The runner's exit code (null when a signal ended it). */
  exited: Promise<number | null>;
  /** SIGKILLs every process of the run (the runner and what it started in its group) and resolves once none is left. Safe to call at any time, twice. */
  end: () => Promise<void>;
}

/** Runs not yet ended: endCliRuns() ends them, and so does the process exit. */
const live = new Set<CliRun>();

export function runCli(script: string, args: string[]): CliRun {
  return watch(spawn(TSX, [path.join(ROOT, script), ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], detached: true }));
}

/** A compiled script (an absolute path) run by node alone, with no npm or tsx in front, from `cwd`. */
export function runNode(script: string, args: string[], cwd: string): CliRun {
  return watch(spawn(process.execPath, [script, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'], detached: true }));
}

/** Ends every run this module started that is not ended yet: an afterEach for any test that starts one. */
export async function endCliRuns(): Promise<void> {
  await Promise.all([...live].map((run) => run.end()));
}

/** The node process running the script under tsx (its only child): the one to send SIGHUP. */
export function serviceProcessOf(run: CliRun): number {
  const pids = execFileSync('ps', ['-o', 'pid=', '--ppid', String(run.proc.pid)]).toString().trim().split(/\s+/).map(Number);
  if (pids.length !== 1 || !Number.isInteger(pids[0])) throw new Error(`expected one child of tsx, found ${JSON.stringify(pids)}`);
  return pids[0]!;
}

function watch(proc: ChildProcess): CliRun {
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  let ending: Promise<void> | undefined;
  const run: CliRun = {
    proc,
    output: () => out,
    exited,
    end: () => (ending ??= endGroup(proc, exited).finally(() => live.delete(run))),
  };
  // A spawn that failed (no pid) started nothing to end.
  if (proc.pid !== undefined) live.add(run);
  return run;
}

async function endGroup(proc: ChildProcess, exited: Promise<unknown>): Promise<void> {
  const group = proc.pid;
  if (group === undefined) return;
  killGroup(group);
  // The runner is ours: its exit is reported. The rest of the group is reparented; poll.
  if (proc.exitCode === null && proc.signalCode === null) await exited;
  const end = Date.now() + END_DEADLINE_MS;
  while (groupAlive(group)) {
    if (Date.now() > end) throw new Error(`process group ${group} still has live processes ${END_DEADLINE_MS} ms after SIGKILL`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function killGroup(group: number): void {
  try {
    process.kill(-group, 'SIGKILL');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
}

/**
 * Whether a process of the group is still running. Zombies do not count: a killed
 * grandchild is reaped by whoever adopted it, which in a container may never happen.
 */
function groupAlive(group: number): boolean {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // gone meanwhile
    }
    // "pid (comm) state ppid pgrp …": comm may hold spaces and parentheses, so read after the last ')'.
    const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(pgrp) === group && state !== 'Z') return true;
  }
  return false;
}

// A jest worker that exits (a failed suite, a timeout) takes its runs with it.
process.on('exit', () => {
  for (const run of live) {
    try {
      if (run.proc.pid !== undefined) killGroup(run.proc.pid);
    } catch {
      // nothing more can be done while exiting
    }
  }
});

export async function waitForOutput(run: CliRun, pattern: RegExp, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!pattern.test(run.output())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${pattern}; output:\n${run.output()}`);
    if (run.proc.exitCode !== null) throw new Error(`exited (${run.proc.exitCode}) before ${pattern}; output:\n${run.output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
