/**
 * The media a load publisher sends: H.264 (constrained baseline, packetization-mode=1)
 * and Opus, encoded once by the real ffmpeg and kept in a cache directory, then
 * RTP-packetized once with werift's packetizers so that every stream only stamps headers.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { H264Packetizer, OpusPacketizer } from 'werift';
import { accessUnits } from './access-units';
import { oggOpusPackets } from './ogg-packets';

export interface LoadSourceOptions {
  width: number;
  height: number;
  fps: number;
  /** target video bitrate, kbit/s */
  videoKbps: number;
  /** length of the loop, seconds */
  seconds: number;
  /** keyframe interval, seconds */
  gopSeconds: number;
  /** tone of the audio track, Hz */
  toneHz: number;
  /** where the encoded files are kept (default: the OS temp directory) */
  cacheDir?: string;
  ffmpegPath?: string;
}

export const defaultLoadSourceOptions: LoadSourceOptions = {
  width: 1280,
  height: 720,
  fps: 30,
  videoKbps: 2000,
  seconds: 10,
  gopSeconds: 2,
  toneHz: 440,
};

/** RTP payloads of one video frame (the last one carries the marker bit). */
export interface VideoRtpFrame {
  payloads: Buffer[];
  keyframe: boolean;
  bytes: number;
}

export interface LoadSource {
  options: LoadSourceOptions;
  files: { h264: string; opus: string };
  video: VideoRtpFrame[];
  /** one Opus packet per RTP payload, 20 ms each */
  audio: Buffer[];
  /** RTP clock ticks between video frames (90 kHz) */
  videoStep: number;
  /** RTP clock ticks between audio packets (48 kHz) */
  audioStep: number;
  audioPacketMs: number;
  /** bitrate of the video as encoded, kbit/s */
  videoKbps: number;
}

/** Max RTP payload: leaves room for SRTP and header extensions under a 1280-byte path. */
const MAX_PAYLOAD = 1100;
const AUDIO_PACKET_MS = 20;

function run(ffmpeg: string, args: string[]): void {
  const r = spawnSync(ffmpeg, ['-hide_banner', '-v', 'error', '-y', ...args], { encoding: 'utf8', timeout: 300_000 });
  if (r.error) throw new Error(`cannot run ${ffmpeg}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`ffmpeg failed (${r.status}): ${r.stderr.trim().split('\n').slice(-5).join(' | ')}`);
}

/** Encodes the source files unless the cache already holds them; returns their paths. */
export function ensureSourceFiles(o: LoadSourceOptions): { h264: string; opus: string } {
  const ffmpeg = o.ffmpegPath ?? '/usr/bin/ffmpeg';
  const key = `${o.width}x${o.height}p${o.fps}-${o.videoKbps}k-${o.seconds}s-g${o.gopSeconds}-${o.toneHz}hz-v1`;
  const dir = join(o.cacheDir ?? join(tmpdir(), 'rtmp-transponder-load-source'), key);
  const files = { h264: join(dir, 'video.h264'), opus: join(dir, 'audio.opus') };
  if (existsSync(files.h264) && existsSync(files.opus)) return files;
  mkdirSync(dir, { recursive: true });
  // Written under a temporary name and renamed, so a concurrent run never reads half a file.
  const tmp = { h264: `${files.h264}.${process.pid}.tmp`, opus: `${files.opus}.${process.pid}.tmp` };
  try {
    const gop = Math.round(o.fps * o.gopSeconds);
    // Temporal noise over testsrc2 keeps the encoder at its bitrate (a clean test pattern
    // compresses to almost nothing, which would make the load unrealistically light).
    run(ffmpeg, [
      '-f', 'lavfi', '-i', `testsrc2=size=${o.width}x${o.height}:rate=${o.fps},noise=alls=12:allf=t`,
      '-t', String(o.seconds),
      '-c:v', 'libx264', '-preset', 'veryfast', '-tune', 'zerolatency', '-profile:v', 'baseline', '-pix_fmt', 'yuv420p',
      '-b:v', `${o.videoKbps}k`, '-maxrate', `${Math.round(o.videoKbps * 1.2)}k`, '-bufsize', `${o.videoKbps}k`,
      '-g', String(gop), '-keyint_min', String(gop), '-sc_threshold', '0',
      '-x264-params', 'repeat-headers=1',
      '-bsf:v', 'h264_metadata=aud=insert',
      '-f', 'h264', tmp.h264,
    ]);
    run(ffmpeg, [
      '-f', 'lavfi', '-i', `sine=frequency=${o.toneHz}:sample_rate=48000`,
      '-t', String(o.seconds), '-ac', '2',
      '-c:a', 'libopus', '-b:a', '64k', '-frame_duration', String(AUDIO_PACKET_MS), '-application', 'audio',
      '-f', 'ogg', tmp.opus,
    ]);
    renameSync(tmp.h264, files.h264);
    renameSync(tmp.opus, files.opus);
  } finally {
    rmSync(tmp.h264, { force: true });
    rmSync(tmp.opus, { force: true });
  }
  return files;
}

/** Encodes (once) and packetizes the source. */
export function loadSource(options: Partial<LoadSourceOptions> = {}): LoadSource {
  const o = { ...defaultLoadSourceOptions, ...options };
  const files = ensureSourceFiles(o);
  const units = accessUnits(readFileSync(files.h264));
  if (units.length === 0 || !units[0]!.keyframe) throw new Error(`${files.h264} does not start with a keyframe`);
  const videoPacketizer = new H264Packetizer({ maxPayloadSize: MAX_PAYLOAD, inputFormat: 'annexb' });
  const startCode = Buffer.from([0, 0, 0, 1]);
  let videoBytes = 0;
  const video = units.map((u) => {
    const annexB = Buffer.concat(u.nalUnits.flatMap((n) => [startCode, n]));
    const payloads = videoPacketizer.packetize(annexB, 0).map((p) => p.payload);
    const bytes = payloads.reduce((n, p) => n + p.length, 0);
    videoBytes += bytes;
    return { payloads, keyframe: u.keyframe, bytes };
  });
  const audio = oggOpusPackets(readFileSync(files.opus));
  const opusPacketizer = new OpusPacketizer({ maxPayloadSize: MAX_PAYLOAD });
  const audioPayloads = audio.map((p) => opusPacketizer.packetize(p, 0)[0]!.payload);
  // Audio loops with the video: no more packets than the video lasts.
  const loopMs = (video.length * 1000) / o.fps;
  const audioLoop = audioPayloads.slice(0, Math.floor(loopMs / AUDIO_PACKET_MS));
  return {
    options: o,
    files,
    video,
    audio: audioLoop,
    videoStep: Math.round(90000 / o.fps),
    audioStep: 48 * AUDIO_PACKET_MS,
    audioPacketMs: AUDIO_PACKET_MS,
    videoKbps: Math.round((videoBytes * 8) / loopMs),
  };
}
