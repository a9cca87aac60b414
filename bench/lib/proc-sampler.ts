/**
 * CPU and memory of a process and its descendants, from /proc (Linux): CPU % from the
 * deltas of utime+stime (/proc/<pid>/stat) over wall time, where 100 % is one core;
 * RSS from VmRSS (/proc/<pid>/status); PSS from /proc/<pid>/smaps_rollup. Sampled every
 * `intervalMs`.
 *
 * RSS counts every resident page a process maps, so the same shared pages (the ffmpeg
 * binary's text, libc, node's code) are counted once per process: summed over eight
 * ffmpeg children it counts the binary eight times. PSS (proportional set size) divides
 * each shared page among the processes mapping it, so the sum over a tree counts it
 * once: what another stream really adds. Pages shared with processes outside the tree
 * (another service on the machine running the same ffmpeg) are divided with them too.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

let clockTicks: number | undefined;

/** USER_HZ: the unit of utime/stime (100 on every usual Linux). */
function ticksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

interface ProcStat {
  pid: number;
  ppid: number;
  /** utime + stime, clock ticks */
  ticks: number;
}

/** Parses /proc/<pid>/stat; the command name may hold spaces and parentheses, so split after the last ')'. */
export function parseProcStat(text: string): ProcStat | undefined {
  const close = text.lastIndexOf(')');
  if (close < 0) return undefined;
  const pid = Number(text.slice(0, text.indexOf(' ')));
  // fields after "(comm)": state(3) ppid(4) ... utime(14) stime(15), counted from 1
  const rest = text.slice(close + 2).split(' ');
  const ppid = Number(rest[1]);
  const utime = Number(rest[11]);
  const stime = Number(rest[12]);
  if (![pid, ppid, utime, stime].every(Number.isFinite)) return undefined;
  return { pid, ppid, ticks: utime + stime };
}

function readStat(pid: number): ProcStat | undefined {
  try {
    return parseProcStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined;
  }
}

/** VmRSS in KiB, or 0 when the process is gone. */
export function rssKib(pid: number): number {
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/**
 * PSS in KiB (shared pages divided among the processes mapping them), or undefined when
 * the kernel has no smaps_rollup (before Linux 4.14) or the process is gone.
 */
export function pssKib(pid: number): number | undefined {
  try {
    const m = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** The pid and every descendant's. */
export function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const s = readStat(Number(entry));
    if (!s) continue;
    const list = children.get(s.ppid) ?? [];
    list.push(s.pid);
    children.set(s.ppid, list);
  }
  const out: number[] = [];
  const queue = [root];
  while (queue.length > 0) {
    const pid = queue.shift()!;
    out.push(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  return out;
}

export interface ProcSample {
  /** ms since the sampler started */
  t: number;
  /** % of one core over the last interval */
  cpuPercent: number;
  rssMiB: number;
  /** Sum of the processes' PSS; undefined when the kernel cannot tell. */
  pssMiB: number | undefined;
}

export interface ProcSummary {
  samples: number;
  cpuMean: number;
  cpuMax: number;
  rssMeanMiB: number;
  rssMaxMiB: number;
  /** Over the samples that had a PSS; undefined when none had. */
  pssMeanMiB: number | undefined;
  pssMaxMiB: number | undefined;
}

export class ProcessSampler {
  private readonly list: ProcSample[] = [];
  private timer?: NodeJS.Timeout;
  private readonly startedAt = performance.now();
  private last?: { at: number; ticks: Map<number, number> };

  constructor(readonly pid: number, private readonly options: { intervalMs?: number; withChildren?: boolean } = {}) {}

  get samples(): readonly ProcSample[] {
    return this.list;
  }

  start(): void {
    if (this.timer) return;
    this.last = { at: performance.now(), ticks: this.readTicks() };
    this.timer = setInterval(() => this.sample(), this.options.intervalMs ?? 1000);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Mean and max of the samples taken in [fromMs, toMs) of the sampler's time. */
  summary(fromMs = 0, toMs = Infinity): ProcSummary {
    const s = this.list.filter((x) => x.t >= fromMs && x.t < toMs);
    const mean = (f: (x: ProcSample) => number): number => (s.length ? s.reduce((n, x) => n + f(x), 0) / s.length : 0);
    const pss = s.map((x) => x.pssMiB).filter((x): x is number => x !== undefined);
    return {
      samples: s.length,
      cpuMean: mean((x) => x.cpuPercent),
      cpuMax: s.reduce((m, x) => Math.max(m, x.cpuPercent), 0),
      rssMeanMiB: mean((x) => x.rssMiB),
      rssMaxMiB: s.reduce((m, x) => Math.max(m, x.rssMiB), 0),
      pssMeanMiB: pss.length ? pss.reduce((n, x) => n + x, 0) / pss.length : undefined,
      pssMaxMiB: pss.length ? Math.max(...pss) : undefined,
    };
  }

  /** ms since start, for marking the warm-up and the window. */
  now(): number {
    return performance.now() - this.startedAt;
  }

  private pids(): number[] {
    return this.options.withChildren === false ? [this.pid] : processTree(this.pid);
  }

  private readTicks(): Map<number, number> {
    const ticks = new Map<number, number>();
    for (const pid of this.pids()) {
      const s = readStat(pid);
      if (s) ticks.set(pid, s.ticks);
    }
    return ticks;
  }

  /** Sum of PSS in KiB; a process that exited in between counts 0; undefined without smaps_rollup. */
  private pss(pids: number[]): number | undefined {
    let sum = 0;
    let any = false;
    for (const pid of pids) {
      const kib = pssKib(pid);
      if (kib !== undefined) {
        sum += kib;
        any = true;
      }
    }
    return any ? sum : undefined;
  }

  private sample(): void {
    const at = performance.now();
    const ticks = this.readTicks();
    if (ticks.size === 0) return;
    const prev = this.last!;
    let used = 0;
    // Per pid: a child that exited takes its ticks away, one that started counts from 0.
    for (const [pid, t] of ticks) used += Math.max(0, t - (prev.ticks.get(pid) ?? 0));
    const seconds = (at - prev.at) / 1000;
    const rss = [...ticks.keys()].reduce((n, pid) => n + rssKib(pid), 0);
    const pss = this.pss([...ticks.keys()]);
    this.list.push({
      t: at - this.startedAt,
      cpuPercent: seconds > 0 ? (used / ticksPerSecond() / seconds) * 100 : 0,
      rssMiB: rss / 1024,
      pssMiB: pss === undefined ? undefined : pss / 1024,
    });
    this.last = { at, ticks };
  }
}
