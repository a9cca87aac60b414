import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** testsrc2 as a y4m file for Chromium's fake camera (made once, kept in the temp dir). */
export function ensureY4m(width: number, height: number, fps: number, seconds: number): string {
  const dir = join(tmpdir(), 'rtmp-transponder-bench');
  const file = join(dir, `testsrc2-${width}x${height}p${fps}-${seconds}s.y4m`);
  if (existsSync(file)) return file;
  mkdirSync(dir, { recursive: true });
  const tmp = `${file}.${process.pid}.tmp.y4m`;
  const r = spawnSync('ffmpeg', ['-hide_banner', '-v', 'error', '-y', '-f', 'lavfi', '-i', `testsrc2=size=${width}x${height}:rate=${fps}`, '-t', String(seconds), '-pix_fmt', 'yuv420p', tmp], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`ffmpeg could not make ${file}: ${r.stderr || r.error?.message}`);
  renameSync(tmp, file);
  return file;
}
