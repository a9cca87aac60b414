/**
 * A supervised child process (ffmpeg, in practice): the one place that spawns, feeds,
 * stops and reaps children, so no caller has to get process groups, EPIPE or the
 * SIGINT → SIGKILL ladder right on its own.
 *
 * - The child leads its own process group (`detached: true`): a stop signal reaches
 *   anything it spawned, and a Ctrl-C meant for the server is not delivered to it
 *   twice (the server stops it in order instead).
 * - stdin writes respect backpressure: `write()` returns false once the pipe holds more
 *   than `highWaterMark` bytes, and drops (counting `droppedBytes`) past
 *   `maxBufferedBytes`, so a stalled child can never grow our memory without bound.
 *   EPIPE and friends after the child died are swallowed: its exit is the report.
 * - The last `stderrTailBytes` of stderr are kept; exit code or signal plus that tail
 *   become the close reason.
 * - `close(reason)`: end stdin, SIGINT the group after `interruptAfterMs`, SIGKILL it
 *   after `killAfterMs` more; resolves once the child is reaped. Safe to call twice.
 * - A process `exit` hook SIGKILLs every group still running, so even a crashing
 *   server leaves no ffmpeg behind.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { TypedEmitter } from '../util/typed-emitter';

export interface SupervisedProcessOptions {
  /** Used in close reasons, e.g. "ffmpeg aac encoder". */
  name?: string;
  command: string;
  args: readonly string[];
  env?: NodeJS.ProcessEnv;
  /** After stdin is closed by close(), wait this long for a voluntary exit before SIGINT. Default 1000. */
  interruptAfterMs?: number;
  /** After SIGINT, wait this long before SIGKILL. Default 2000. */
  killAfterMs?: number;
  /** Bytes of stderr kept for the close reason. Default 4096. */
  stderrTailBytes?: number;
  /** write() returns false above this many queued stdin bytes. Default 256 KiB. */
  highWaterMark?: number;
  /** Writes that would queue more than this are dropped. Default 16 MiB. */
  maxBufferedBytes?: number;
}

/** How the child ended. */
export interface ExitInfo {
  /** Exit code, or null when a signal ended it (or it never started). */
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The reason given to close(), when the stop was ours. */
  requested: string | undefined;
  /** Last bytes of stderr, trimmed. */
  stderrTail: string;
  /** One line for logs: who ended it, how, and the stderr tail. */
  reason: string;
}

export type SupervisedProcessEvents = {
  stdout: [data: Buffer];
  /** stdin has room again after write() returned false. */
  drain: [];
  /** Once, after the child was reaped (or failed to start). */
  close: [reason: string, info: ExitInfo];
};

const liveGroups = new Set<number>();
let exitHookInstalled = false;

/** Children of this process still running (spawned and not yet reaped): the metrics' ffmpeg gauge. */
export function liveChildProcessCount(): number {
  return liveGroups.size;
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const pgid of liveGroups) killGroup(pgid, 'SIGKILL');
  });
}

/** Signals a whole process group; false when nothing is left to signal. */
function killGroup(pgid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}

export class SupervisedProcess extends TypedEmitter<SupervisedProcessEvents> {
  readonly name: string;
  /** undefined when the spawn failed (e.g. no such executable). */
  readonly pid: number | undefined;
  /** Resolves once, when the child is gone and 'close' was emitted. Never rejects. */
  readonly closed: Promise<ExitInfo>;

  private readonly child: ChildProcess;
  private readonly interruptAfterMs: number;
  private readonly killAfterMs: number;
  private readonly stderrTailBytes: number;
  private readonly highWaterMark: number;
  private readonly maxBufferedBytes: number;
  private stderrTail: Buffer = Buffer.alloc(0);
  private requested: string | undefined;
  private exited: ExitInfo | undefined;
  private spawnError: Error | undefined;
  private stdinOpen = true;
  private needDrain = false;
  private timers: NodeJS.Timeout[] = [];
  private resolveClosed!: (info: ExitInfo) => void;
  private bytesWritten = 0;
  private writes = 0;
  private dropped = 0;

  constructor(opts: SupervisedProcessOptions) {
    super();
    this.name = opts.name ?? opts.command;
    this.interruptAfterMs = opts.interruptAfterMs ?? 1000;
    this.killAfterMs = opts.killAfterMs ?? 2000;
    this.stderrTailBytes = opts.stderrTailBytes ?? 4096;
    this.highWaterMark = opts.highWaterMark ?? 256 * 1024;
    this.maxBufferedBytes = opts.maxBufferedBytes ?? 16 * 1024 * 1024;
    this.closed = new Promise((resolve) => (this.resolveClosed = resolve));

    installExitHook();
    this.child = spawn(opts.command, [...opts.args], {
      detached: true,
      stdio: ['pipe', 'pipe', 'pipe'],
      env: opts.env ?? process.env,
    });
    this.pid = this.child.pid;
    if (this.pid !== undefined) liveGroups.add(this.pid);

    const { stdin, stdout, stderr } = this.child;
    // EPIPE/ECONNRESET once the child is gone: its exit tells the story.
    stdin!.on('error', () => {
      this.stdinOpen = false;
    });
    stdin!.on('drain', () => {
      if (!this.needDrain) return;
      this.needDrain = false;
      this.emit('drain');
    });
    stdout!.on('data', (data: Buffer) => this.emit('stdout', data));
    stdout!.on('error', () => undefined);
    stderr!.on('data', (data: Buffer) => this.keepStderr(data));
    stderr!.on('error', () => undefined);

    this.child.on('error', (err) => {
      // Spawn failure (ENOENT, EACCES); a kill() error cannot happen, we signal by pid.
      this.spawnError = err;
      if (this.pid === undefined) this.finish(null, null);
    });
    // 'close' (not 'exit'): stdout and stderr are fully read by then.
    this.child.on('close', (code, signal) => this.finish(code, signal));
  }

  /** Bytes (and write/writev calls) accepted into stdin so far, and bytes dropped because the child fell behind. */
  get stats(): { bytesWritten: number; writes: number; droppedBytes: number; bufferedBytes: number } {
    return { bytesWritten: this.bytesWritten, writes: this.writes, droppedBytes: this.dropped, bufferedBytes: this.child.stdin?.writableLength ?? 0 };
  }

  /** True once the child was reaped. */
  get isClosed(): boolean {
    return this.exited !== undefined;
  }

  /**
   * Queues bytes for the child's stdin. Returns false when the caller should slow down
   * (wait for 'drain'), or when the bytes were dropped (closed, or over maxBufferedBytes).
   * Never throws.
   */
  write(data: Buffer | Uint8Array): boolean {
    const stdin = this.child.stdin;
    if (!this.stdinOpen || !stdin || stdin.destroyed || stdin.writableEnded) return false;
    if (stdin.writableLength + data.length > this.maxBufferedBytes) {
      this.dropped += data.length;
      this.needDrain = true;
      return false;
    }
    this.bytesWritten += data.length;
    this.writes++;
    const ok = stdin.write(data);
    if (!ok || stdin.writableLength > this.highWaterMark) {
      this.needDrain = true;
      return false;
    }
    return true;
  }

  /**
   * Queues several buffers as one write: stdin is corked around them, so the pipe sees
   * one writev(2) and the child wakes once. Same return value and limits as write(),
   * applied to the sum (all or none are queued).
   */
  writev(chunks: readonly (Buffer | Uint8Array)[]): boolean {
    if (chunks.length === 0) return true;
    if (chunks.length === 1) return this.write(chunks[0]);
    const stdin = this.child.stdin;
    if (!this.stdinOpen || !stdin || stdin.destroyed || stdin.writableEnded) return false;
    const bytes = chunks.reduce((n, c) => n + c.length, 0);
    if (stdin.writableLength + bytes > this.maxBufferedBytes) {
      this.dropped += bytes;
      this.needDrain = true;
      return false;
    }
    this.bytesWritten += bytes;
    this.writes++;
    stdin.cork();
    let ok = true;
    for (const c of chunks) ok = stdin.write(c) && ok;
    stdin.uncork();
    if (!ok || stdin.writableLength > this.highWaterMark) {
      this.needDrain = true;
      return false;
    }
    return true;
  }

  /** Closes stdin: the child sees end of input (ffmpeg flushes and exits). */
  endInput(): void {
    if (!this.stdinOpen) return;
    this.stdinOpen = false;
    const stdin = this.child.stdin;
    if (stdin && !stdin.destroyed && !stdin.writableEnded) stdin.end();
  }

  /**
   * Stops the child: end of input, then SIGINT to its group, then SIGKILL. Resolves
   * when it is reaped. The first reason given is the one reported.
   */
  close(reason: string): Promise<ExitInfo> {
    if (this.exited) return this.closed;
    if (this.requested !== undefined) return this.closed;
    this.requested = reason;
    if (this.pid === undefined) {
      // The spawn failed; the 'error' handler finishes (or already finished) us.
      return this.closed;
    }
    this.endInput();
    const pgid = this.pid;
    this.timers.push(
      setTimeout(() => {
        killGroup(pgid, 'SIGINT');
        this.timers.push(setTimeout(() => killGroup(pgid, 'SIGKILL'), this.killAfterMs));
      }, this.interruptAfterMs),
    );
    return this.closed;
  }

  /** Sends a signal to the child's whole group now (tests, emergencies). */
  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    if (this.pid !== undefined && !this.exited) killGroup(this.pid, signal);
  }

  private keepStderr(data: Buffer): void {
    const joined = this.stderrTail.length === 0 ? data : Buffer.concat([this.stderrTail, data]);
    this.stderrTail = joined.length > this.stderrTailBytes ? Buffer.from(joined.subarray(joined.length - this.stderrTailBytes)) : joined;
  }

  private finish(code: number | null, signal: NodeJS.Signals | null): void {
    if (this.exited) return;
    for (const t of this.timers) clearTimeout(t);
    this.timers = [];
    this.stdinOpen = false;
    if (this.pid !== undefined) {
      // Anything the child left in its group (ffmpeg has none, other tools may) goes too.
      killGroup(this.pid, 'SIGKILL');
      liveGroups.delete(this.pid);
    }
    const stderrTail = this.stderrTail.toString('utf8').trim();
    const info: ExitInfo = {
      code,
      signal,
      requested: this.requested,
      stderrTail,
      reason: this.describe(code, signal, stderrTail),
    };
    this.exited = info;
    this.emit('close', info.reason, info);
    this.resolveClosed(info);
  }

  private describe(code: number | null, signal: NodeJS.Signals | null, stderrTail: string): string {
    let how: string;
    if (this.spawnError && this.pid === undefined) how = `${this.name} could not start: ${this.spawnError.message}`;
    else if (signal) how = `${this.name} killed by ${signal}`;
    else how = `${this.name} exited with code ${code}`;
    if (this.requested !== undefined) how = `${this.requested} (${how})`;
    // The last stderr lines say why; a reason line stays readable in logs.
    const lines = stderrTail.split('\n').map((l) => l.trim()).filter((l) => l !== '');
    const tail = lines.slice(-3).join(' | ');
    return tail ? `${how}: ${tail.length > 600 ? tail.slice(tail.length - 600) : tail}` : how;
  }
}
