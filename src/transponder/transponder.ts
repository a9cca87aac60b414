/**
 * One (stream, rtmpUrl) relay. Owns its pipeline:
 *
 *   source video ─▶ [VideoTranscoder] ─▶ VideoMuxer ─┐
 *   source audio ─▶ TransponderAudio (the stream's shared AAC track, or a private one
 *                   while muted or playing a sound) ───┴▶ Interleaver ─▶ [OutputBuffer] ─▶ RtmpPublisher
 *
 * States: PENDING → CONNECTING → PUBLISHING ⇄ RESTORING → TERMINATED | FAILED,
 * changed in one place that logs the change and its reason.
 */
import { TypedEmitter } from '../util/typed-emitter';
import type { Logger } from '../log';
import { aacRawTag, aacSequenceHeaderTag } from '../flv/audio-tag';
import type { FlvTag } from '../flv/flv-tag';
import { FlvTagType, isSequenceHeader } from '../flv/flv-tag';
import { redactRtmpUrl, type RtmpNaming } from '../rtmp/rtmp-url';
import type { DestinationResolver } from '../rtmp/destination';
import { isVpxFrame, type AudioFrame, type SourceVideoFrame, type VideoCodec, type VideoFrame, type VpxFrame } from '../media';
import { TransponderAudio } from './transponder-audio';
import { StreamAudio } from './shared-audio';
import { Interleaver } from './interleaver';
import type { LatencyProbe } from './latency-probe';
import { OutputBuffer, type OutputBufferOptions } from './output-buffer';
import { PushRestorer } from './push-restorer';
import type { RestoreRule } from './restore-policy';
import type { TransponderState, TransponderStats } from './transponder-api';
import { VideoMuxer, type VideoFormat } from './video-muxer';
import { VideoLiveness } from './video-liveness';
import { StreamMetadataMeter } from './stream-metadata';
import { VideoTranscoder } from '../ffmpeg/video-transcoder';
import type { TranscodeParams } from './transcode-params';

/** What a transponder needs of a published stream (a Publisher, or a fake in tests). */
export interface TransponderSource {
  readonly streamName: string;
  readonly closed: boolean;
  /** false when the publish carries no audio track: a silent one is made. */
  hasAudio(): boolean;
  /** false for an audio-only publish: the push then starts without waiting for a keyframe. */
  hasVideo(): boolean;
  on(event: 'video', listener: (frame: VideoFrame) => void): unknown;
  on(event: 'vpxVideo', listener: (frame: VpxFrame) => void): unknown;
  on(event: 'audio', listener: (frame: AudioFrame) => void): unknown;
  on(event: 'close', listener: (reason: string) => void): unknown;
  off(event: 'video', listener: (frame: VideoFrame) => void): unknown;
  off(event: 'vpxVideo', listener: (frame: VpxFrame) => void): unknown;
  off(event: 'audio', listener: (frame: AudioFrame) => void): unknown;
  off(event: 'close', listener: (reason: string) => void): unknown;
  /** The codec of the video the source sends (absent: H.264). Anything else reaches RTMP only transcoded. */
  videoCodec?(): VideoCodec | undefined;
  /** `urgent`: a consumer is starting and needs a picture now (skips the routine throttle). */
  requestKeyframe(opts?: { urgent?: boolean }): void;
}

export interface TransponderOptions {
  mediaSessionId: string;
  source: TransponderSource;
  rtmpUrl: string;
  naming: RtmpNaming;
  flashVersion?: string;
  sendMetadata: boolean;
  localAddress?: string;
  tls?: { ca?: string | Buffer; rejectUnauthorized?: boolean };
  /** Resolves and judges the host at every (re)connect: the destination guard. */
  resolve?: DestinationResolver;
  /** A rule, or a getter asked as each loss begins (settings reload). */
  restore: RestoreRule | (() => RestoreRule);
  outputBuffer: OutputBufferOptions;
  transcode?: TranscodeParams;
  ffmpegPath?: string;
  audioBitrateKbps?: number;
  /**
   * The stream's audio, shared with the other transponders of the stream (the manager's
   * SharedAudioRegistry). Absent: the transponder has a stream audio of its own.
   */
  streamAudio?: StreamAudio;
  /** Longest a tag waits for the other track to keep timestamp order (wall ms). */
  interleaveMaxWaitMs?: number;
  /** Measuring seam for the relay benchmark (see latency-probe.ts); never set by the product. */
  probe?: LatencyProbe;
  log: Logger;
}

export type TransponderEvents = {
  state: [state: TransponderState, reason: string];
};

export interface TransponderSnapshot {
  state: TransponderState;
  reason: string;
  width: number;
  height: number;
  muted: boolean;
  soundEnabled: boolean;
  transcoding: boolean;
  publishedName: string;
  stats: TransponderStats;
}


/** A closed transponder refuses changes with this error. */
export class TransponderClosedError extends Error {
  override readonly name = 'TransponderClosedError';
}

export class Transponder extends TypedEmitter<TransponderEvents> {
  readonly mediaSessionId: string;
  readonly push: PushRestorer;
  readonly audio: TransponderAudio;
  private readonly muxer = new VideoMuxer();
  /** Whether video for a time is certainly coming (the Interleaver waits for it then). */
  private readonly videoLiveness = new VideoLiveness();
  /** Measured frame rate and data rates for each connection's onMetaData. */
  private readonly meter: StreamMetadataMeter;
  private readonly interleaver: Interleaver;
  private readonly buffer: OutputBuffer;
  private readonly transcoder: VideoTranscoder | undefined;
  private current: TransponderState = 'PENDING';
  private reason = 'created';
  private drain: Promise<void> | undefined;
  private audioStarted = false;
  private readonly log: Logger;
  private readonly createdAt = performance.now();

  private readonly onVideo = (frame: VideoFrame): void => {
    let bytes = 0;
    for (const nal of frame.nalUnits) bytes += nal.length;
    this.sourceFrame(frame, bytes);
  };
  /** VP8/VP9: only through the transcoder (the manager always gives one for such a source). */
  private readonly onVpxVideo = (frame: VpxFrame): void => {
    this.sourceFrame(frame, frame.data.length);
  };
  private sourceFrame(frame: SourceVideoFrame, bytes: number): void {
    const vpx = isVpxFrame(frame);
    // Cannot happen (the manager transcodes such a source); never send VP8 as H.264.
    if (vpx && !this.transcoder) return;
    if (this.opts.probe !== undefined) this.opts.probe.frameIn('video', frame.pts, performance.now());
    this.videoLiveness.frameIn(frame.pts);
    this.meter.videoFrame(frame.pts, bytes);
    if (this.transcoder) this.transcoder.push(frame);
    else if (!vpx) this.muxVideo(frame);
  }

  /** The stream's audio feeds the tracks; this only measures (the relay benchmark). */
  private readonly onAudio = (frame: AudioFrame): void => {
    if (this.opts.probe !== undefined) this.opts.probe.frameIn('audio', frame.pts, performance.now());
  };
  private readonly onSourceClose = (reason: string): void => {
    void this.close(`the published stream ended: ${reason}`);
  };

  constructor(private readonly opts: TransponderOptions) {
    super();
    this.mediaSessionId = opts.mediaSessionId;
    this.log = opts.log.child({ mediaSessionId: opts.mediaSessionId, stream: opts.source.streamName });
    const probe = opts.probe;
    // Throws RtmpUrlError for a bad URL: the manager checks before creating us.
    this.push = new PushRestorer({
      attempt: {
        url: opts.rtmpUrl,
        naming: opts.naming,
        flashVersion: opts.flashVersion,
        sendMetadata: opts.sendMetadata,
        localAddress: opts.localAddress,
        tls: opts.tls,
        resolve: opts.resolve,
        hasVideo: opts.source.hasVideo(),
        onTagWritten: probe ? (type, ts, at) => probe.tagOut(type === FlvTagType.Video ? 'video' : 'audio', ts, at) : undefined,
      },
      restore: opts.restore,
    });
    // Before the stream's audio subscribes (the first time), so arrival is taken before decoding.
    if (probe !== undefined) opts.source.on('audio', this.onAudio);
    const streamAudio = opts.streamAudio ?? new StreamAudio(opts.source, { ffmpegPath: opts.ffmpegPath, silentIfNoAudio: true, fillWhenSourceStops: true });
    this.audio = new TransponderAudio(streamAudio, opts.audioBitrateKbps);
    this.meter = new StreamMetadataMeter({
      audioBitrateKbps: this.audio.bitrateKbps,
      transcode: opts.transcode ? { fps: opts.transcode.fps, bitrateKbps: opts.transcode.bitrateKbps } : undefined,
    });
    // Asked as each connection starts, so it carries the rates measured until then.
    this.push.setMetadata(() => this.meter.build());
    this.buffer = new OutputBuffer(opts.outputBuffer, (tag) => this.push.send(tag));
    const toBuffer = probe
      ? (tag: FlvTag): void => {
          if (!isSequenceHeader(tag)) probe.interleaved(tag.type === FlvTagType.Video ? 'video' : 'audio', tag.timestamp, performance.now());
          this.buffer.push(tag);
        }
      : (tag: FlvTag): void => this.buffer.push(tag);
    this.interleaver = new Interleaver(toBuffer, { maxWaitMs: opts.interleaveMaxWaitMs ?? 150, audio: this.audio, video: this.videoLiveness });
    if (opts.transcode) {
      this.transcoder = new VideoTranscoder({ ...opts.transcode, ffmpegPath: opts.ffmpegPath });
      this.transcoder.on('frame', (frame) => this.muxVideo(frame));
      this.transcoder.on('keyframeNeeded', () => this.opts.source.requestKeyframe());
      this.transcoder.on('close', (reason) => void this.close(`the video transcoder stopped: ${reason}`, 'FAILED'));
    }
    this.audio.on('aac', (frame) => this.interleaver.push(aacRawTag(Math.max(0, Math.round(frame.pts)), frame.raw)));
    this.audio.on('close', (reason) => void this.close(`the AAC encoder stopped: ${reason}`, 'FAILED'));
    this.push.on('state', (state, reason, detail) => {
      if (state === 'TERMINATED' || state === 'FAILED') void this.close(reason, state, detail);
      else this.setState(state, reason, detail);
    });
    this.push.on('needKeyframe', (urgent) => this.opts.source.requestKeyframe({ urgent }));
  }

  get state(): TransponderState {
    return this.current;
  }

  /** True from the moment close() is called (or a part failed): the state is terminal. */
  get ended(): boolean {
    return this.current === 'TERMINATED' || this.current === 'FAILED';
  }

  /** Resolves when every child (the push, ffmpeg processes, timers) is released. */
  get drained(): Promise<void> {
    return this.drain ?? Promise.resolve();
  }

  /** Subscribes to the source and connects; returns at once (the state tells the rest). */
  start(): void {
    this.refuseIfEnded('start');
    if (this.current !== 'PENDING') throw new Error(`start() called in state ${this.current}`);
    const source = this.opts.source;
    if (source.closed) {
      void this.close('the published stream has already ended', 'FAILED');
      return;
    }
    source.on('video', this.onVideo);
    source.on('vpxVideo', this.onVpxVideo);
    source.on('close', this.onSourceClose);
    this.push.send(aacSequenceHeaderTag(0, this.audio.audioSpecificConfig));
    this.audio.open();
    // The first video the server gets must be a keyframe: the push asks for one (urgent) as it connects.
    this.push.start();
  }

  mute(): void {
    this.refuseIfEnded('mute');
    this.audio.mute();
  }

  unmute(): void {
    this.refuseIfEnded('unmute');
    this.audio.unmute();
  }

  soundOn(pcm: Int16Array, loop: boolean): void {
    this.refuseIfEnded('sound_on');
    this.audio.soundOn(pcm, loop);
  }

  soundOff(): void {
    this.refuseIfEnded('sound_off');
    this.audio.soundOff();
  }

  snapshot(): TransponderSnapshot {
    const push = this.push.toJSON();
    const format = this.muxer.format;
    return {
      state: this.current,
      reason: this.reason,
      width: format?.width ?? 0,
      height: format?.height ?? 0,
      muted: this.audio.muted,
      soundEnabled: this.audio.soundEnabled,
      transcoding: this.transcoder !== undefined,
      publishedName: this.push.publishedName,
      stats: {
        bytesSent: push.bytesSent,
        bitrateKbps: push.bitrateKbps,
        framesSent: push.videoFramesSent + push.audioFramesSent,
        videoFramesSent: push.videoFramesSent,
        framesDropped: push.videoFramesDropped + push.audioFramesDropped,
        videoFramesDropped: push.videoFramesDropped,
        audioFramesDropped: push.audioFramesDropped,
        queuedBytes: push.queuedBytes,
        serverLagMs: push.serverLagMs,
        lagHolds: push.lagHolds,
        restoreAttempts: push.restoreAttempts,
        restores: push.restores,
        bufferMs: this.buffer.stats().bufferedMs,
        lastError: push.lastError,
      },
    };
  }

  /**
   * Ends the transponder: the state is TERMINATED (or FAILED) and the reason kept at once,
   * before anything is released; then the push (FCUnpublish/deleteStream), its ffmpeg
   * children and its timers are released. Returns the drain. The first call decides the
   * state; later calls (also from children ending because of this one) change nothing.
   */
  close(reason: string, state: 'TERMINATED' | 'FAILED' = 'TERMINATED', detail = reason): Promise<void> {
    if (this.drain) return this.drain;
    this.setState(state, reason, detail);
    const source = this.opts.source;
    source.off('video', this.onVideo);
    source.off('vpxVideo', this.onVpxVideo);
    source.off('audio', this.onAudio);
    source.off('close', this.onSourceClose);
    this.videoLiveness.stop();
    this.interleaver.close();
    this.buffer.close();
    this.drain = Promise.allSettled([
      this.push.close(reason, state),
      this.audio.close(reason),
      this.transcoder?.close(reason) ?? Promise.resolve(),
    ]).then(() => undefined);
    return this.drain;
  }

  // ---- pipeline -----------------------------------------------------------------

  private refuseIfEnded(what: string): void {
    if (this.ended) throw new TransponderClosedError(`${what}: the transponder has ended (${this.current}: ${this.reason})`);
  }

  private muxVideo(frame: VideoFrame): void {
    if (this.ended) return;
    if (!this.audioStarted) {
      this.audioStarted = true;
      // A publish without audio still gets an AAC track (YouTube expects one).
      if (!this.opts.source.hasAudio()) this.audio.start(frame.pts);
    }
    const tags = this.muxer.mux(frame, (format) => this.onFormat(format));
    for (const tag of tags) this.interleaver.push(tag);
  }

  private onFormat(format: VideoFormat): void {
    this.meter.setFormat({ width: format.width, height: format.height, spsFrameRate: format.sps.frameRate });
    this.log.info('video format', { width: format.width, height: format.height });
  }

  /**
   * The one place the state changes: logged with its reason (and the detail behind it,
   * which callers never see), terminal states absorbing.
   */
  private setState(state: TransponderState, reason: string, detail = reason): void {
    if (this.ended) return;
    if (this.current === state && this.reason === reason) return;
    const from = this.current;
    this.current = state;
    this.reason = reason;
    const fields: Record<string, unknown> = { url: redactRtmpUrl(this.opts.rtmpUrl), from, reason };
    if (detail !== reason) fields.detail = detail;
    if (state === 'FAILED') this.log.warn('push ended', { state, ...fields, ...this.lifeSummary() });
    else if (state === 'TERMINATED') this.log.info('push ended', { state, ...fields, ...this.lifeSummary() });
    else this.log.info(`transponder ${state}`, fields);
    this.emit('state', state, reason);
  }

  /** What the push's one end line says besides why: how long, how much, what was lost. */
  private lifeSummary(): Record<string, unknown> {
    const { stats } = this.snapshot();
    return {
      durationMs: Math.round(performance.now() - this.createdAt),
      bytes: stats.bytesSent,
      frames: stats.framesSent,
      drops: stats.framesDropped,
      restores: stats.restores,
      restoreAttempts: stats.restoreAttempts,
      lastError: stats.lastError,
    };
  }
}
