/**
 * A/V offset with a flash-and-beep source: a 720p30 y4m where the whole picture turns
 * white for 100 ms at every whole second (over testsrc2, so the encoder still has a
 * realistic picture to code), and a WAV with a 1 kHz beep for the same 100 ms. Flash
 * onsets come from the luma of decoded frames (ffmpeg signalstats YAVG), beep onsets from
 * a 1 ms envelope of the decoded audio; offset = beep − flash (positive: audio late).
 */
import { execFile, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const CACHE = join(tmpdir(), 'rtmp-transponder-bench');

export interface FlashBeepSource {
  y4m: string;
  wav: string;
  seconds: number;
}

/** The pair, made once with ffmpeg and cached in the temp dir. Both loop in Chromium. */
export function ensureFlashBeepSource(seconds = 10): FlashBeepSource {
  mkdirSync(CACHE, { recursive: true });
  const y4m = join(CACHE, `flash-1280x720p30-${seconds}s.y4m`);
  const wav = join(CACHE, `beep-1k-48k-${seconds}s-v2.wav`);
  const make = (file: string, args: string[]): void => {
    if (existsSync(file)) return;
    const tmp = `${file}.${process.pid}.tmp${file.slice(file.lastIndexOf('.'))}`;
    const r = spawnSync('ffmpeg', ['-hide_banner', '-v', 'error', '-y', ...args, '-t', String(seconds), tmp], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`ffmpeg could not make ${file}: ${r.stderr || r.error?.message}`);
    renameSync(tmp, file);
  };
  make(y4m, ['-f', 'lavfi', '-i', "testsrc2=size=1280x720:rate=30,drawbox=x=0:y=0:w=iw:h=ih:color=white:t=fill:enable='lt(mod(t\\,1)\\,0.1)'", '-pix_fmt', 'yuv420p']);
  // aevalsrc: sample-exact onsets (a volume filter's enable= acts per block of samples).
  make(wav, ['-f', 'lavfi', '-i', "aevalsrc='if(lt(mod(t\\,1)\\,0.1)\\,0.25*sin(2*PI*1000*t)\\,0)':s=48000", '-ac', '2', '-c:a', 'pcm_s16le']);
  return { y4m, wav, seconds };
}

export interface LumaFrame {
  /** pts_time of the decoded frame (s) */
  t: number;
  /** index in decode order */
  n: number;
  y: number;
}

/** Mean luma of every decoded frame (scaled down first: only the mean matters). */
export async function frameLuma(inputArgs: string[]): Promise<LumaFrame[]> {
  const { stdout } = await run(
    'ffmpeg',
    ['-hide_banner', '-v', 'error', ...inputArgs, '-an', '-fps_mode', 'passthrough', '-vf', 'scale=160:90,signalstats,metadata=print:key=lavfi.signalstats.YAVG:file=-', '-f', 'null', '-'],
    { maxBuffer: 64 * 1024 * 1024 },
  );
  const out: LumaFrame[] = [];
  let t = NaN;
  let n = -1;
  for (const line of stdout.split('\n')) {
    const f = /^frame:(\d+)\s+pts:\S+\s+pts_time:(\S+)/.exec(line);
    if (f) {
      n = Number(f[1]);
      t = Number(f[2]);
      continue;
    }
    const y = /YAVG=([\d.]+)/.exec(line);
    if (y) out.push({ t, n, y: Number(y[1]) });
  }
  return out;
}

/** Times (in `time(frame)`) of the first white frame of each flash. */
export function flashOnsets(frames: LumaFrame[], time: (f: LumaFrame) => number): number[] {
  if (frames.length === 0) return [];
  const ys = frames.map((f) => f.y).sort((a, b) => a - b);
  const lo = ys[Math.floor(ys.length * 0.2)];
  const hi = ys[Math.floor(ys.length * 0.98)];
  if (hi - lo < 40) return []; // no flash in this stretch
  const threshold = (lo + hi) / 2;
  const onsets: number[] = [];
  for (let i = 1; i < frames.length; i++) {
    if (frames[i].y > threshold && frames[i - 1].y <= threshold) onsets.push(time(frames[i]));
  }
  return onsets;
}

/** Onsets (s, from `startTime` at sample 0) of beeps in mono PCM: a 1 ms RMS envelope crossing half the beeps' level after ≥ 300 ms below it. */
export function beepOnsets(pcm: Int16Array, rate: number, startTime: number): number[] {
  const win = Math.round(rate / 1000);
  const env: number[] = [];
  for (let i = 0; i + win <= pcm.length; i += win) {
    let s = 0;
    for (let j = i; j < i + win; j++) s += pcm[j] * pcm[j];
    env.push(Math.sqrt(s / win));
  }
  if (env.length === 0) return [];
  const sorted = [...env].sort((a, b) => a - b);
  const loud = sorted[Math.floor(sorted.length * 0.97)];
  const quiet = sorted[Math.floor(sorted.length * 0.5)];
  if (loud < 100 || loud < quiet * 4) return [];
  const threshold = quiet + (loud - quiet) * 0.3;
  const onsets: number[] = [];
  let below = Infinity;
  for (let i = 0; i < env.length; i++) {
    if (env[i] < threshold) {
      below++;
      continue;
    }
    if (below >= 300) onsets.push(startTime + i / 1000);
    below = 0;
  }
  return onsets;
}

export interface AvEvent {
  /** flash onset, s on the file's or the publisher's clock */
  flash: number;
  /** beep onset − flash onset, ms */
  offsetMs: number;
}

/** Each flash that has a beep within ±450 ms, with beep − flash. */
export function avEvents(flashes: number[], beeps: number[]): AvEvent[] {
  const out: AvEvent[] = [];
  for (const f of flashes) {
    let best: number | undefined;
    for (const b of beeps) if (Math.abs(b - f) < 0.45 && (best === undefined || Math.abs(b - f) < Math.abs(best - f))) best = b;
    if (best !== undefined) out.push({ flash: f, offsetMs: (best - f) * 1000 });
  }
  return out;
}

/** beep − flash for each flash that has a beep within ±450 ms, ms. */
export function avOffsets(flashes: number[], beeps: number[]): number[] {
  return avEvents(flashes, beeps).map((e) => e.offsetMs);
}

/**
 * The same flashes seen on two clocks: `a` on the publisher's (pts), `b` on the
 * recording's (FLV timestamps = pts − the push's base). Pairs the flashes whose times
 * agree within 2 ms once `b` is shifted by `shift` seconds (the base).
 */
export function pairEvents(a: AvEvent[], b: AvEvent[], shift: number): Array<[AvEvent, AvEvent]> {
  const pairs: Array<[AvEvent, AvEvent]> = [];
  for (const p of a) {
    const q = b.find((e) => Math.abs(p.flash - (e.flash + shift)) < 0.002);
    if (q) pairs.push([p, q]);
  }
  return pairs;
}

/** Mono s16 PCM of a file's audio and the pts (s) of its first sample. */
export async function decodeAudio(file: string, rate: number): Promise<{ pcm: Int16Array; start: number }> {
  const probe = await run('ffprobe', ['-v', 'error', '-select_streams', 'a', '-show_entries', 'packet=pts_time', '-read_intervals', '%+#1', '-of', 'csv=p=0', file]);
  const start = Number(probe.stdout.trim().split('\n')[0]);
  const { stdout } = await run('ffmpeg', ['-hide_banner', '-v', 'error', '-i', file, '-vn', '-ac', '1', '-ar', String(rate), '-f', 's16le', '-'], {
    encoding: 'buffer',
    maxBuffer: 256 * 1024 * 1024,
  });
  const buf = stdout as Buffer;
  return { pcm: new Int16Array(buf.buffer, buf.byteOffset, Math.floor(buf.length / 2)), start: Number.isFinite(start) ? start : 0 };
}
