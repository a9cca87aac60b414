/**
 * A child process of the benchmark: its output kept, waited for by pattern, stopped with
 * SIGTERM then SIGKILL after a deadline. TypeScript entry points run as
 * `node --import tsx FILE` (what `npx tsx FILE` runs, without the npm and tsx wrapper
 * processes around it), so the pid is the program itself and its CPU/RSS are its own.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';

export const ROOT = resolve(__dirname, '..', '..');

export class BenchChild {
  readonly proc: ChildProcess;
  readonly exited: Promise<number | null>;
  private out = '';

  /** `nodeArgs`: flags for node itself (e.g. --cpu-prof), before the script. */
  constructor(readonly label: string, script: string, args: string[], nodeArgs: string[] = []) {
    this.proc = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', resolve(ROOT, script), ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    const keep = (d: Buffer): void => {
      this.out += d.toString();
      // Keep the tail only: a long run must not grow without bound.
      if (this.out.length > 1_000_000) this.out = this.out.slice(-500_000);
    };
    this.proc.stdout!.on('data', keep);
    this.proc.stderr!.on('data', keep);
    this.exited = new Promise((r) => this.proc.once('exit', (code, signal) => r(code ?? (signal ? 128 : null))));
  }

  get pid(): number {
    if (this.proc.pid === undefined) throw new Error(`${this.label} did not start`);
    return this.proc.pid;
  }

  output(): string {
    return this.out;
  }

  async waitFor(pattern: RegExp, timeoutMs: number): Promise<RegExpExecArray> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const m = pattern.exec(this.out);
      if (m) return m;
      if (this.proc.exitCode !== null || this.proc.signalCode !== null) throw new Error(`${this.label} exited (${this.proc.exitCode ?? this.proc.signalCode}) before ${pattern}:\n${this.out.slice(-2000)}`);
      if (Date.now() > end) throw new Error(`${this.label}: timed out waiting for ${pattern}:\n${this.out.slice(-2000)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** SIGTERM, then SIGKILL after `graceMs`; resolves with the exit code. */
  async stop(graceMs = 5000): Promise<number | null> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return this.exited;
    this.proc.kill('SIGTERM');
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), graceMs);
    const code = await this.exited;
    clearTimeout(timer);
    return code;
  }
}
