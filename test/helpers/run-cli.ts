/** Runs one of our CLIs as a real child process: through tsx, as `npm start` / `npm run push` do, or compiled with plain node. */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');
const TSX = path.join(ROOT, 'node_modules/.bin/tsx');

export interface CliRun {
  proc: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

export function runCli(script: string, args: string[]): CliRun {
  return watch(spawn(TSX, [path.join(ROOT, script), ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] }));
}

/** A compiled script (an absolute path) run by node alone, with no npm or tsx in front, from `cwd`. */
export function runNode(script: string, args: string[], cwd: string): CliRun {
  return watch(spawn(process.execPath, [script, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] }));
}

function watch(proc: ChildProcess): CliRun {
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  return { proc, output: () => out, exited };
}

export async function waitForOutput(run: CliRun, pattern: RegExp, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!pattern.test(run.output())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${pattern}; output:\n${run.output()}`);
    if (run.proc.exitCode !== null) throw new Error(`exited (${run.proc.exitCode}) before ${pattern}; output:\n${run.output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
