/**
 * The real ffmpeg/ffprobe (Debian packages) as test oracles: make sources, and
 * decode and measure what an RTMP server received.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import fs from 'node:fs';
import path from 'node:path';

const run = promisify(execFile);

export interface ProbedStream {
  codec_type: string;
  codec_name: string;
  width?: number;
  height?: number;
  sample_rate?: string;
  channels?: number;
  avg_frame_rate?: string;
  nb_read_frames?: string;
}

export async function ffprobeStreams(file: string, countFrames = false): Promise<ProbedStream[]> {
  const args = ['-v', 'error', '-show_streams', '-of', 'json'];
  if (countFrames) args.push('-count_frames');
  const { stdout } = await run('ffprobe', [...args, file], { maxBuffer: 64 * 1024 * 1024 });
  return (JSON.parse(stdout) as { streams: ProbedStream[] }).streams;
}

export interface ProbedPacket {
  codec_type: string;
  pts_time: string;
  dts_time: string;
  flags: string;
  size: string;
}

export async function ffprobePackets(file: string): Promise<ProbedPacket[]> {
  const { stdout } = await run('ffprobe', ['-v', 'error', '-show_packets', '-show_entries', 'packet=codec_type,pts_time,dts_time,flags,size', '-of', 'json', file], {
    maxBuffer: 256 * 1024 * 1024,
  });
  return (JSON.parse(stdout) as { packets: ProbedPacket[] }).packets;
}

/** Decodes every stream fully; returns ffmpeg's error output (empty when clean). */
export async function decodeErrors(file: string): Promise<string> {
  try {
    // Decode on the file's own millisecond clock: WebRTC video has a variable frame
    // rate, and ffmpeg's default 1/fps encoder clock would call close frames "non
    // monotonic" although every one of them decodes.
    const args = ['-v', 'error', '-nostdin', '-i', file, '-fps_mode', 'passthrough', '-enc_time_base:v', '1:1000', '-f', 'null', '-'];
    const { stderr } = await run('ffmpeg', args, { maxBuffer: 64 * 1024 * 1024 });
    if (stderr.trim() && process.env.KEEP_FAILED_MEDIA) fs.copyFileSync(file, path.join(process.env.KEEP_FAILED_MEDIA, path.basename(file)));
    return stderr.trim();
  } catch (err) {
    return `ffmpeg failed: ${(err as Error).message}`;
  }
}

/** An H.264 (baseline-ish, no B-frames) + AAC 48 kHz stereo FLV made by ffmpeg. */
export async function makeTestFlv(file: string, opts: { seconds: number; width: number; height: number; fps: number; gop: number; bitrateK?: number }): Promise<void> {
  const video = ['-f', 'lavfi', '-i', `testsrc2=size=${opts.width}x${opts.height}:rate=${opts.fps}`];
  const audio = ['-f', 'lavfi', '-i', 'sine=frequency=1000:sample_rate=48000'];
  const rate = opts.bitrateK ? ['-b:v', `${opts.bitrateK}k`, '-maxrate', `${opts.bitrateK}k`, '-bufsize', `${opts.bitrateK * 2}k`] : [];
  await run('ffmpeg', [
    '-v', 'error', '-nostdin', '-y', ...video, ...audio, '-t', String(opts.seconds),
    '-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-profile:v', 'baseline', '-pix_fmt', 'yuv420p',
    '-g', String(opts.gop), '-bf', '0', ...rate,
    '-c:a', 'aac', '-ar', '48000', '-ac', '2', '-b:a', '128k', '-f', 'flv', file,
  ]);
}
