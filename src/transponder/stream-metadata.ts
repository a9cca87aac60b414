/**
 * What onMetaData says about one push, from what was measured:
 *
 * - framerate: from the source frames' timestamps over the last FRAME_WINDOW_MS (a
 *   browser lowers its rate in the dark or under load; the SPS, when it says anything,
 *   says what the encoder was configured for). Within 3 % of a common rate it is that
 *   rate (29.8 → 30). The transcoder's fps when it sets one.
 * - videodatarate: source bytes over the same window (kbit/s), or the transcoder's
 *   target bitrate.
 * - audiodatarate: the AAC encoder's bitrate.
 *
 * A connection can start after very few frames (the push connects while the first
 * keyframe is requested). With at least MIN_FRAMES frames the measurement over them is
 * used (the frames before the first keyframe count: the transponder sees them all);
 * with fewer the SPS's VUI rate, else 30 (the rate browsers capture at by default); the
 * data rate is then 0, which is what ffmpeg writes for an unknown bitrate.
 */
import type { StreamMetadata } from '../flv/metadata';
import { Fifo } from '../util/fifo';

export const FRAME_WINDOW_MS = 2000;
const MIN_FRAMES = 3;
const COMMON_RATES = [10, 12, 15, 20, 24, 25, 30, 48, 50, 60];
const SNAP = 0.03;
const DEFAULT_FRAME_RATE = 30;
/** FLV CodecID 7 = AVC; SoundFormat 10 = AAC. */
const AVC = 7;
const AAC = 10;

export interface StreamMetadataOptions {
  /** The AAC encoder's bitrate (kbit/s). */
  audioBitrateKbps: number;
  /** Set when the video is transcoded: what the transcoder is told to make. */
  transcode?: { fps?: number; bitrateKbps?: number };
  encoder?: string;
}

export interface PictureFormat {
  width: number;
  height: number;
  /** The SPS's VUI timing, if it has one. */
  spsFrameRate?: number;
}

interface FrameSeen {
  pts: number;
  bytes: number;
}

export class StreamMetadataMeter {
  private readonly frames = new Fifo<FrameSeen>();
  private windowBytes = 0;
  private format: PictureFormat | undefined;

  constructor(private readonly opts: StreamMetadataOptions) {}

  /** A source video frame (before any transcoding), with its payload size. */
  videoFrame(pts: number, bytes: number): void {
    const last = this.frames.last();
    if (last !== undefined && pts <= last.pts) return; // a repeated or reordered timestamp says nothing of the rate
    this.frames.push({ pts, bytes });
    this.windowBytes += bytes;
    for (let head = this.frames.peek(); head !== undefined && pts - head.pts > FRAME_WINDOW_MS; head = this.frames.peek()) {
      this.windowBytes -= head.bytes;
      this.frames.shift();
    }
  }

  /** The picture the video now has (from its SPS). */
  setFormat(format: PictureFormat): void {
    this.format = format;
  }

  /** Frames per second measured over the window; undefined with fewer than MIN_FRAMES. */
  measuredFrameRate(): number | undefined {
    const first = this.frames.peek();
    const last = this.frames.last();
    if (first === undefined || last === undefined || this.frames.length < MIN_FRAMES || last.pts <= first.pts) return undefined;
    const fps = ((this.frames.length - 1) * 1000) / (last.pts - first.pts);
    const common = COMMON_RATES.find((r) => Math.abs(fps - r) <= r * SNAP);
    return common ?? Math.round(fps * 100) / 100;
  }

  /** Video kbit/s over the window (the first frame's bytes start the span); 0 when unknown. */
  measuredVideoKbps(): number {
    const first = this.frames.peek();
    const last = this.frames.last();
    if (first === undefined || last === undefined || this.frames.length < MIN_FRAMES || last.pts <= first.pts) return 0;
    const ms = ((last.pts - first.pts) * this.frames.length) / (this.frames.length - 1);
    return Math.round((this.windowBytes * 8) / ms);
  }

  /** onMetaData for a connection that starts now; video fields once the picture is known. */
  build(): StreamMetadata {
    const meta: StreamMetadata = {};
    const format = this.format;
    if (format !== undefined) {
      const t = this.opts.transcode;
      meta.width = format.width;
      meta.height = format.height;
      meta.videodatarate = t?.bitrateKbps ?? this.measuredVideoKbps();
      meta.framerate = t?.fps ?? this.measuredFrameRate() ?? format.spsFrameRate ?? DEFAULT_FRAME_RATE;
      meta.videocodecid = AVC;
    }
    meta.audiodatarate = this.opts.audioBitrateKbps;
    meta.audiosamplerate = 48000;
    meta.audiosamplesize = 16;
    meta.stereo = true;
    meta.audiocodecid = AAC;
    meta.encoder = this.opts.encoder ?? 'rtmp-transponder';
    return meta;
  }
}
