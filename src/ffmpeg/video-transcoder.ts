/**
 * Video transcoding of one push: H.264 access units (optional transcoding) or VP8/VP9
 * frames (always: RTMP carries H.264) in, ffmpeg/libx264, H.264 access units out, on
 * the same clock.
 *
 * How timestamps survive ffmpeg: frames go to ffmpeg's stdin as an FLV stream (our
 * own writer: header, AVC sequence header, one NALU tag per access unit, timestamp =
 * pts − the first keyframe's pts, in whole ms, strictly increasing), and come back as
 * an FLV stream from stdout. With `-copyts -vsync passthrough` ffmpeg keeps every
 * frame's timestamp, and no filter here makes new timestamps. VP8/VP9 frames go in as
 * an IVF stream instead (our own writer: timebase 1/1000, pts = the same whole-ms
 * timestamp), and come back the same way:
 * - the size is changed by `scale` (timestamps untouched);
 * - a lower frame rate is made by `select`, which drops frames, instead of `fps`,
 *   which would make a CFR stream on a new grid and hold frames back (measured:
 *   `fps` added 40–70 ms, `select` nothing). `select` keeps the first frame in each
 *   1/fps slot of the input clock, so 30 → 15 keeps every other frame and 25 → 15
 *   keeps 15 of each 25; a source slower than `fps` is not padded with copies.
 * So each output frame's FLV timestamp is the timestamp we wrote for one input frame,
 * and the output frame gets that input frame's exact pts back (A/V sync is kept to
 * the sample, not to the ms). The encoder makes no B-frames (`-bf 0`), so the
 * composition time is 0.
 *
 * ffmpeg starts on the first keyframe (frames before it cannot be decoded and are
 * dropped) with the output size worked out from that keyframe's SPS (VP8/VP9: its
 * frame header). A VP8/VP9 keyframe of a new size is decoded by the same ffmpeg when
 * the output size stays (its decoder and scaler follow); otherwise as for H.264 below. A new SPS later
 * (the browser lowers its resolution) is passed to ffmpeg as a new AVC sequence
 * header, which ffmpeg's decoder and scaler follow (tested); only when the *output*
 * size must change (height alone and a new source aspect, or no size requested and a
 * new source size) is a new ffmpeg started at that keyframe, because libx264 cannot
 * change its picture size. The old one gets end-of-input, hands over what it still
 * holds, and exits.
 *
 * Profile: Main. With `-bf 0` the only differences from Constrained Baseline are
 * CABAC and weighted prediction, which save ~10 % bits at the same quality; every
 * RTMP ingest and player of the last decade decodes Main (YouTube, Facebook and
 * Twitch ask for Main or High), while High adds 8x8 transforms for little gain at
 * these sizes and is refused by a few old hardware decoders.
 */
import { performance } from 'node:perf_hooks';
import { isVpxFrame, ivfFileHeader, ivfFrame, type SourceVideoFrame, type VideoFrame, type VpxFrame } from '../media';
import { TypedEmitter } from '../util/typed-emitter';
import { buildAvcDecoderConfigurationRecord, fromAvcc, NalType, nalType, parseAvcDecoderConfigurationRecord } from '../media/h264';
import { parseSps } from '../media/h264-sps';
import { AvcPacketType, avcNaluTagFromNalUnits, avcSequenceHeaderTag, encodeFlvTag, flvFileHeader, FlvReader, FlvTagType, parseVideoTag } from '../flv';
import type { FlvTag } from '../flv';
import { outputSize, type TranscodeParams } from './transcode-output';
import { SupervisedProcess } from './child-process';
import { resolveFfmpegPath } from './ffmpeg-path';

export interface VideoTranscoderOptions extends TranscodeParams {
  /** ffmpeg binary; default: the bundled @ffmpeg-installer build. */
  ffmpegPath?: string;
  /**
   * Input frames ffmpeg may hold before the transcoder stops feeding it and waits for
   * the next keyframe (a CPU too slow for the job); default 90 (3 s at 30 fps).
   */
  maxPendingFrames?: number;
}

export type TranscodedFrame = VideoFrame & { compositionTime?: number };

export interface VideoTranscoderEvents {
  [event: string]: unknown[];
  /** One encoded access unit; SPS and PPS come first in every keyframe. */
  frame: [frame: TranscodedFrame];
  /**
   * Frames are being dropped until the next keyframe (none yet, or ffmpeg fell
   * behind): the owner may ask the source for one (PLI/FIR) instead of waiting.
   */
  keyframeNeeded: [];
  close: [reason: string];
}

export interface VideoTranscoderStats {
  framesIn: number;
  framesOut: number;
  /** Input frames not given to ffmpeg: before the first keyframe, or while it lagged. */
  framesDropped: number;
  /** ffmpeg processes started after the first one (output size changes). */
  restarts?: number;
  /** Frame in → frame out, over the last LATENCY_SAMPLES frames. */
  latencyMsP50?: number;
  latencyMsP99?: number;
  /** The current output picture. */
  width?: number;
  height?: number;
}

/** 4 s at 30 fps: enough for a stable p99, small enough to follow a change. */
const LATENCY_SAMPLES = 128;
/** ffmpeg full (maxPendingFrames) and its oldest frame this old: stuck, not slow (a frame normally takes ms). */
const STALL_MS = 5000;
/** Without a requested bitrate: x264's CRF 23, capped (VBV) at this many bits per pixel. */
const CAP_BITS_PER_PIXEL = 0.12;
/** Without a requested keyFrameInterval: a keyframe every 2 s, what RTMP ingests ask for. */
const DEFAULT_KEYFRAME_SECONDS = 2;

/**
 * ffmpeg's arguments for one transcoding process: FLV (H.264) on stdin → FLV
 * (H.264 Main, no B-frames) on stdout, `size` the output picture. Pure.
 */
export function transcoderArgs(params: TranscodeParams, size: { width: number; height: number }, input: TranscoderInput = 'flv'): string[] {
  const filters = [`scale=${size.width}:${size.height}`];
  if (params.fps !== undefined) {
    const f = params.fps;
    // The first frame in each 1/f-second slot. The quarter-slot shift keeps a 2×f
    // source, whose ms timestamps sit on the slot edges ±0.5 ms, from alternating
    // between 1 and 3 frame gaps.
    filters.push(`select='if(isnan(prev_selected_t),1,gt(floor(t*${f}+0.25),floor(prev_selected_t*${f}+0.25)))'`);
  }
  const rate: string[] = [];
  // With passthrough timestamps (1/1000 time base) x264 would budget each frame as if
  // 1000 came per second: tell it the nominal rate its rate control should plan for.
  const x264 = [`fps=${params.fps ?? 30}`];
  if (params.bitrateKbps !== undefined) {
    // Constant bitrate with filler (nal-hrd=cbr), one-second VBV: what YouTube and
    // other ingests recommend, and a still picture does not fall to a few kbit/s.
    const b = `${params.bitrateKbps}k`;
    rate.push('-b:v', b, '-minrate', b, '-maxrate', b, '-bufsize', b);
    x264.push('nal-hrd=cbr');
  } else {
    const cap = Math.max(100, Math.round((size.width * size.height * (params.fps ?? 30) * CAP_BITS_PER_PIXEL) / 1000));
    rate.push('-crf', '23', '-maxrate', `${cap}k`, '-bufsize', `${2 * cap}k`);
  }
  const gop: string[] =
    params.keyFrameInterval !== undefined
      ? ['-g', String(params.keyFrameInterval), '-keyint_min', String(params.keyFrameInterval)]
      : // On time, not on a frame count: the source frame rate is variable.
        ['-g', '600', '-force_key_frames', `expr:gte(t,n_forced*${DEFAULT_KEYFRAME_SECONDS})`];
  return [
    '-hide_banner', '-loglevel', 'error', '-nostats',
    // Start on the first packet; `-fflags nobuffer` is NOT used: it throws away the
    // packets read while probing, that is, the first keyframe and its whole GOP.
    '-probesize', '32', '-analyzeduration', '0', '-flags', 'low_delay',
    '-f', input, '-i', 'pipe:0',
    '-map', '0:v:0', '-an', '-sn', '-dn',
    '-vf', filters.join(','),
    '-c:v', 'libx264', '-preset', 'veryfast', '-tune', 'zerolatency', '-profile:v', 'main',
    '-pix_fmt', 'yuv420p', '-bf', '0', ...gop, '-sc_threshold', '0', ...rate, '-x264-params', x264.join(':'),
    '-copyts', '-vsync', 'passthrough',
    '-f', 'flv', '-flvflags', 'no_duration_filesize', '-flush_packets', '1', 'pipe:1',
  ];
}

/** What ffmpeg reads on stdin: FLV for H.264, IVF for VP8/VP9. */
export type TranscoderInput = 'flv' | 'ivf';

/** One input frame inside ffmpeg, waiting for its encoded self. */
interface InFlight {
  /** The FLV timestamp it was written with. */
  ts: number;
  pts: number;
  /** performance.now() at push */
  at: number;
}

/** One ffmpeg process: its input clock, the frames inside it, and its output parser. */
interface Session {
  readonly generation: number;
  readonly proc: SupervisedProcess;
  readonly input: TranscoderInput;
  readonly width: number;
  readonly height: number;
  /** Input pts at FLV timestamp 0. */
  readonly base: number;
  lastTs: number;
  /** H.264: the SPS of the last sequence header written to it. */
  inputSps?: Buffer;
  /** VP8/VP9: the codec it decodes. */
  inputCodec?: VpxFrame['codec'];
  /** Frames written and not yet seen on the output, oldest first. */
  readonly inFlight: InFlight[];
  readonly reader: FlvReader;
  /** From the output's AVC sequence header. */
  outSps: Buffer[];
  outPps: Buffer[];
  lengthSize: number;
  /** End of input was sent: exit is expected. */
  draining: boolean;
  /** The child's count of refused stdin bytes, last seen. */
  droppedBytes: number;
}

export class VideoTranscoder extends TypedEmitter<VideoTranscoderEvents> {
  private readonly params: TranscodeParams;
  private readonly ffmpegPath: string;
  private readonly maxPendingFrames: number;
  private session: Session | undefined;
  /** Replaced sessions still handing over their last frames. */
  private readonly draining = new Set<Session>();
  private generation = 0;
  /** The newest session that has emitted: older ones may no longer emit. */
  private emittingGeneration = 0;
  private lastOutPts = -Infinity;
  /** The source's current SPS and PPS (from the last keyframe that had them). */
  private sps: Buffer | undefined;
  private pps: Buffer | undefined;
  private waitingForKeyframe = true;
  /** keyframeNeeded was emitted for the current wait. */
  private keyframeAsked = false;
  private closeReason: string | undefined;
  private closing: Promise<void> | undefined;

  private framesIn = 0;
  private framesOut = 0;
  private framesDropped = 0;
  private readonly latencies = new Float64Array(LATENCY_SAMPLES);
  private latencyCount = 0;

  constructor(opts: VideoTranscoderOptions) {
    super();
    const { ffmpegPath, maxPendingFrames, ...params } = opts;
    this.params = params;
    this.ffmpegPath = resolveFfmpegPath(ffmpegPath);
    this.maxPendingFrames = maxPendingFrames ?? 90;
    if (!Number.isInteger(this.maxPendingFrames) || this.maxPendingFrames < 1) {
      throw new RangeError(`maxPendingFrames must be a positive integer, got ${String(maxPendingFrames)}`);
    }
  }

  get closed(): boolean {
    return this.closeReason !== undefined;
  }

  /** The running ffmpeg's pid, for tests and diagnostics. */
  get pid(): number | undefined {
    return this.session?.proc.pid;
  }

  /**
   * Gives one access unit to ffmpeg. Never throws for media reasons and never waits;
   * a frame pushed after close is ignored (frames race the close of their consumer).
   */
  push(frame: SourceVideoFrame): void {
    if (this.closeReason !== undefined) return;
    this.framesIn++;
    if (isVpxFrame(frame)) {
      this.pushVpx(frame);
      return;
    }
    let sps: Buffer | undefined;
    let pps: Buffer | undefined;
    for (const nal of frame.nalUnits) {
      if (nal.length === 0) continue;
      const type = nalType(nal);
      if (type === NalType.Sps) sps = nal;
      else if (type === NalType.Pps) pps = nal;
    }
    if (sps) this.sps = Buffer.from(sps);
    if (pps) this.pps = Buffer.from(pps);

    let session = this.session;
    const lagging = this.lagging(session);
    if (lagging === undefined) return;
    if (this.waitingForKeyframe) {
      if (!frame.keyframe || !this.sps || !this.pps || lagging) {
        this.framesDropped++;
        this.waitForKeyframe();
        return;
      }
      this.waitingForKeyframe = false;
      this.keyframeAsked = false;
    }

    // A new SPS reaches ffmpeg only with a keyframe that can be decoded with it.
    if (!session || session.input !== 'flv' || (frame.keyframe && !session.inputSps?.equals(this.sps!))) {
      const size = this.sizeFor(this.sps!);
      const header = size && this.sequenceHeader();
      if (!size || !header) {
        // An SPS we cannot read: nothing sensible to scale from. Wait for another.
        this.framesDropped++;
        this.waitForKeyframe();
        return;
      }
      if (!session || session.input !== 'flv' || size.width !== session.width || size.height !== session.height) {
        if (session) this.drain(session, `output size changes to ${size.width}x${size.height}`);
        session = this.start(frame.pts, size, 'flv');
        session.inputSps = this.sps!;
        this.write(session, avcSequenceHeaderTag(0, header));
      } else {
        // Same output size: ffmpeg's decoder and scaler follow a new sequence header.
        session.inputSps = this.sps!;
        this.write(session, avcSequenceHeaderTag(this.nextTs(session, frame.pts), header));
      }
    }
    const ts = this.nextTs(session, frame.pts);
    session.lastTs = ts;
    session.inFlight.push({ ts, pts: frame.pts, at: performance.now() });
    this.write(session, avcNaluTagFromNalUnits(ts, frame.keyframe, frame.nalUnits));
  }

  /**
   * A VP8 frame or VP9 picture: as an H.264 access unit, but a keyframe carries its own
   * size (no parameter sets to keep), and it goes to ffmpeg in IVF.
   */
  private pushVpx(frame: VpxFrame): void {
    let session = this.session;
    const lagging = this.lagging(session);
    if (lagging === undefined) return;
    if (this.waitingForKeyframe) {
      if (!frame.keyframe || frame.width === undefined || frame.height === undefined || lagging) {
        this.framesDropped++;
        this.waitForKeyframe();
        return;
      }
      this.waitingForKeyframe = false;
      this.keyframeAsked = false;
    }
    if (!session || (frame.keyframe && frame.width !== undefined && frame.height !== undefined)) {
      const size = frame.width !== undefined && frame.height !== undefined ? outputSize(this.params, frame.width, frame.height) : undefined;
      if (!size) {
        this.framesDropped++;
        this.waitForKeyframe();
        return;
      }
      if (!session || session.inputCodec !== frame.codec || size.width !== session.width || size.height !== session.height) {
        if (session) this.drain(session, `output size changes to ${size.width}x${size.height}`);
        session = this.start(frame.pts, size, 'ivf');
        session.inputCodec = frame.codec;
        // The size in the file header is only a hint: each keyframe carries its own.
        session.proc.write(ivfFileHeader({ fourcc: frame.codec === 'vp8' ? 'VP80' : 'VP90', width: frame.width!, height: frame.height!, timebaseDenominator: 1000, timebaseNumerator: 1, frameCount: 0 }));
      }
    }
    const ts = this.nextTs(session, frame.pts);
    session.lastTs = ts;
    session.inFlight.push({ ts, pts: frame.pts, at: performance.now() });
    this.writeBytes(session, ivfFrame(frame.data, ts));
  }

  /**
   * Whether ffmpeg is behind (frames wait for a keyframe then), or undefined when it is
   * stuck and the transcoder was closed.
   */
  private lagging(session: Session | undefined): boolean | undefined {
    // Full and old: ffmpeg is stuck, not just slow (a pause of the source leaves at most
    // the few frames `select` dropped in flight, far from full).
    if (session && session.inFlight.length >= this.maxPendingFrames && performance.now() - session.inFlight[0].at > STALL_MS) {
      void this.close(`ffmpeg video transcoder stalled: no output for ${STALL_MS / 1000} s`);
      return undefined;
    }
    const lagging = session !== undefined && session.inFlight.length >= this.maxPendingFrames;
    // ffmpeg cannot keep up: feeding it more only grows the delay. Skip to a keyframe,
    // where its decoder can resume, that arrives once it has caught up.
    if (lagging) this.waitForKeyframe();
    return lagging;
  }

  /**
   * Ends ffmpeg and waits for it: end of input, then SIGINT and SIGKILL after the
   * child's deadlines. Frames ffmpeg still hands over after this are not emitted.
   */
  close(reason: string): Promise<void> {
    if (this.closing) return this.closing;
    this.closeReason = reason;
    const sessions = [...this.draining];
    if (this.session) sessions.push(this.session);
    this.session = undefined;
    this.draining.clear();
    this.closing = Promise.all(sessions.map((s) => s.proc.close(reason).catch(() => undefined))).then(() => {
      this.emit('close', reason);
      this.removeAllListeners();
    });
    return this.closing;
  }

  toJSON(): VideoTranscoderStats {
    const stats: VideoTranscoderStats = {
      framesIn: this.framesIn,
      framesOut: this.framesOut,
      framesDropped: this.framesDropped,
    };
    if (this.generation > 1) stats.restarts = this.generation - 1;
    const n = Math.min(this.latencyCount, LATENCY_SAMPLES);
    if (n > 0) {
      const sorted = Array.from(this.latencies.subarray(0, n)).sort((a, b) => a - b);
      stats.latencyMsP50 = round1(sorted[Math.floor((n - 1) * 0.5)]);
      stats.latencyMsP99 = round1(sorted[Math.floor((n - 1) * 0.99)]);
    }
    if (this.session) {
      stats.width = this.session.width;
      stats.height = this.session.height;
    }
    return stats;
  }

  private waitForKeyframe(): void {
    this.waitingForKeyframe = true;
    if (this.keyframeAsked) return;
    this.keyframeAsked = true;
    this.emit('keyframeNeeded');
  }

  private sizeFor(sps: Buffer): { width: number; height: number } | undefined {
    try {
      const info = parseSps(sps);
      return outputSize(this.params, info.width, info.height);
    } catch {
      return undefined;
    }
  }

  /** The source's AVCDecoderConfigurationRecord, undefined when its SPS/PPS are malformed. */
  private sequenceHeader(): Buffer | undefined {
    try {
      return buildAvcDecoderConfigurationRecord([this.sps!], [this.pps!]);
    } catch {
      return undefined;
    }
  }

  /** The frame's FLV timestamp: whole ms since the session's base, strictly increasing. */
  private nextTs(session: Session, pts: number): number {
    const ts = Math.round(pts - session.base);
    return ts > session.lastTs ? ts : session.lastTs + 1;
  }

  /** A new ffmpeg reading `input`; the caller writes the stream's header (after the FLV file header for FLV). */
  private start(pts: number, size: { width: number; height: number }, input: TranscoderInput): Session {
    const generation = ++this.generation;
    // A spawn failure (no such file) is reported by the child's close event.
    const proc = new SupervisedProcess({
      name: `ffmpeg video transcoder #${generation}`,
      command: this.ffmpegPath,
      args: transcoderArgs(this.params, size, input),
    });
    const session: Session = {
      generation,
      proc,
      input,
      width: size.width,
      height: size.height,
      base: pts,
      lastTs: -1,
      inFlight: [],
      reader: new FlvReader(),
      outSps: [],
      outPps: [],
      lengthSize: 4,
      draining: false,
      droppedBytes: 0,
    };
    proc.on('stdout', (data: Buffer) => this.onOutput(session, data));
    proc.on('close', (reason) => this.onExit(session, reason));
    this.session = session;
    if (input === 'flv') proc.write(flvFileHeader(false, true));
    return session;
  }

  private write(session: Session, tag: FlvTag): void {
    this.writeBytes(session, encodeFlvTag(tag));
  }

  private writeBytes(session: Session, bytes: Buffer): void {
    const proc = session.proc;
    if (proc.write(bytes)) return;
    // false is mostly "slow down", which the in-flight bound already handles; a tag the
    // child refused (its stdin queue is full) leaves a hole only a keyframe mends.
    const dropped = proc.stats.droppedBytes;
    if (dropped > session.droppedBytes) {
      session.droppedBytes = dropped;
      this.waitForKeyframe();
    }
  }

  /**
   * A replaced ffmpeg: end of input, so it hands over what it holds and exits (the
   * child's close interrupts it after a deadline if it does not).
   */
  private drain(session: Session, reason: string): void {
    session.draining = true;
    this.draining.add(session);
    void session.proc.close(reason);
  }

  private onExit(session: Session, reason: string): void {
    if (session.draining) {
      this.draining.delete(session);
      return;
    }
    if (this.closeReason !== undefined || session !== this.session) return;
    void this.close(reason);
  }

  private onOutput(session: Session, data: Buffer): void {
    if (this.closeReason !== undefined) return;
    let tags: FlvTag[];
    try {
      tags = session.reader.push(data);
    } catch (err) {
      void this.close(`ffmpeg wrote a broken FLV stream: ${(err as Error).message}`);
      return;
    }
    for (const tag of tags) {
      if (tag.type !== FlvTagType.Video) continue; // onMetaData
      try {
        this.onVideoTag(session, tag);
      } catch (err) {
        void this.close(`ffmpeg wrote broken H.264: ${(err as Error).message}`);
        return;
      }
    }
  }

  private onVideoTag(session: Session, tag: FlvTag): void {
    const video = parseVideoTag(tag.data);
    if (video.avcPacketType === AvcPacketType.SequenceHeader) {
      const config = parseAvcDecoderConfigurationRecord(video.payload);
      session.outSps = config.sps;
      session.outPps = config.pps;
      session.lengthSize = config.lengthSize;
      return;
    }
    if (video.avcPacketType !== AvcPacketType.Nalu) return; // end of sequence
    const keyframe = video.frameType === 1;
    // The input frame this one was made from: the one written with this timestamp.
    // Frames before it were dropped by `select` (or never made it out).
    const inFlight = session.inFlight;
    let i = 0;
    while (i < inFlight.length && inFlight[i].ts < tag.timestamp) i++;
    const source = i < inFlight.length && inFlight[i].ts === tag.timestamp ? inFlight[i] : undefined;
    inFlight.splice(0, source ? i + 1 : i);
    let pts = source ? source.pts : session.base + tag.timestamp;

    // Once a newer ffmpeg has started emitting, late frames of a replaced one are stale.
    if (session.generation < this.emittingGeneration) return;
    if (session.generation > this.emittingGeneration) {
      if (!keyframe || pts <= this.lastOutPts) return; // a new encoder's stream starts with its first keyframe
      this.emittingGeneration = session.generation;
    }
    // The same ffmpeg keeps the order of its input, so only a source clock that went
    // back gets here; the output clock never does.
    if (pts <= this.lastOutPts) pts = this.lastOutPts + 1;
    let nalUnits = fromAvcc(video.payload, session.lengthSize);
    if (keyframe && !nalUnits.some((n) => n.length > 0 && nalType(n) === NalType.Sps)) {
      nalUnits = [...session.outSps, ...session.outPps, ...nalUnits];
    }
    this.lastOutPts = pts;
    this.framesOut++;
    if (source) {
      this.latencies[this.latencyCount % LATENCY_SAMPLES] = performance.now() - source.at;
      this.latencyCount++;
    }
    const out: TranscodedFrame = { pts, keyframe, nalUnits };
    if (video.compositionTime) out.compositionTime = video.compositionTime;
    this.emit('frame', out);
  }
}

function round1(n: number): number {
  return Math.round(n * 10) / 10;
}
