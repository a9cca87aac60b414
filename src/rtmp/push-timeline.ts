/**
 * The timeline of one RTMP connection, pure: tags in on the source clock, what to write
 * out on the connection's clock. No socket, no timer.
 *
 * Before the connection publishes (`begin()`), it is the push's one keyframe gate: it
 * keeps the run of tags since the latest keyframe (at most `maxHeldMs` of it), so a
 * connection starts on a picture at once instead of waiting for the next one.
 *
 * Once begun, a connection always starts the same way, whatever the order things arrive:
 *
 *   onMetaData, AVC sequence header, AAC sequence header   (all at timestamp 0)
 *   the first keyframe (timestamp 0), then audio and video from its time on
 *
 * never one track's header alone (an HTTP-FLV player joining SRS in that window gets an
 * audio-only stream). Timestamps start at 0 on that keyframe and increase strictly per
 * track (decoders and muxers refuse a repeated dts; a source clock that steps back is
 * absorbed here). A sequence header that changes mid-stream (new SPS/PPS after a
 * resolution change) goes out just before the next frame of its track, with that
 * frame's timestamp, as FLV muxers write it. Metadata goes out only at the start of a
 * connection: a second onMetaData mid-stream shows up behind nginx's `meta copy` as a
 * phantom data stream, and ffmpeg and OBS never send one either.
 */
import { FlvTagType, isSequenceHeader, isVideoKeyframe, type FlvTag } from '../flv/flv-tag';

/** What the connection writes: a tag, or the onMetaData data message at a timestamp. */
export type TimelineItem = { kind: 'tag'; tag: FlvTag } | { kind: 'metadata'; timestamp: number };

export interface PushTimelineOptions {
  /** Whether video is expected: then the connection starts on a keyframe. */
  hasVideo: boolean;
  /** Longest run kept while waiting to publish, ms of source time. Default 3000. */
  maxHeldMs?: number;
}

export interface PushTimelineStats {
  /** Frames given up before the connection started (older than the kept run, or not decodable). */
  videoDropped: number;
  audioDropped: number;
}

/** A connection waits for the first keyframe this long before it drops audio it kept. */
const DEFAULT_MAX_HELD_MS = 3000;

export class PushTimeline {
  private readonly hasVideo: boolean;
  private readonly maxHeldMs: number;
  private videoHeader: FlvTag | undefined;
  private audioHeader: FlvTag | undefined;
  private pendingVideoHeader: FlvTag | undefined;
  private pendingAudioHeader: FlvTag | undefined;
  /** Tags since the latest keyframe (audio only when no video is expected). */
  private held: FlvTag[] = [];
  private begun = false;
  /** Source timestamp that is 0 on this connection; undefined until the connection started. */
  private base: number | undefined;
  private lastVideo = -1;
  private lastAudio = -1;
  private lastOut = 0;
  readonly stats: PushTimelineStats = { videoDropped: 0, audioDropped: 0 };

  constructor(opts: PushTimelineOptions) {
    this.hasVideo = opts.hasVideo;
    this.maxHeldMs = opts.maxHeldMs ?? DEFAULT_MAX_HELD_MS;
  }

  /** True once the start (metadata, headers, first frame) went out. */
  get started(): boolean {
    return this.base !== undefined;
  }

  /** Whether the connection waits for a keyframe (the source should be asked for one). */
  get waitingForKeyframe(): boolean {
    return this.hasVideo && this.base === undefined && !this.heldKeyframe();
  }

  /** The source timestamp that is 0 on this connection (0 until it started). */
  get baseTimestamp(): number {
    return this.base ?? 0;
  }

  /** The latest timestamp written on this connection. */
  get lastTimestamp(): number {
    return this.lastOut;
  }

  /** The sequence headers a connection starts with (remembered across the run). */
  headers(): { video?: FlvTag; audio?: FlvTag } {
    return { video: this.videoHeader, audio: this.audioHeader };
  }

  /** Starts from another timeline's headers (a reconnect: the source sends them only once). */
  inheritHeaders(from: { video?: FlvTag; audio?: FlvTag }): void {
    this.videoHeader ??= from.video;
    this.audioHeader ??= from.audio;
  }

  /** The connection now publishes: what to write first (maybe nothing yet). */
  begin(): TimelineItem[] {
    if (this.begun) return [];
    this.begun = true;
    return this.tryStart();
  }

  /** One tag on the source clock; returns what to write now. */
  push(tag: FlvTag): TimelineItem[] {
    if (tag.type === FlvTagType.Script) return []; // metadata is the owner's, written at start
    if (isSequenceHeader(tag)) return this.onHeader(tag);
    if (this.base !== undefined) return this.rebase(tag);
    this.hold(tag);
    return this.begun ? this.tryStart() : [];
  }

  private onHeader(tag: FlvTag): TimelineItem[] {
    const video = tag.type === FlvTagType.Video;
    if (this.base === undefined) {
      if (video) {
        // A new picture format: frames kept so far belong to the old one.
        if (this.videoHeader !== undefined && !this.videoHeader.data.equals(tag.data)) this.dropHeld();
        this.videoHeader = tag;
      } else {
        this.audioHeader = tag;
      }
      return this.begun ? this.tryStart() : [];
    }
    const current = video ? this.videoHeader : this.audioHeader;
    if (current !== undefined && current.data.equals(tag.data)) return [];
    if (video) {
      this.videoHeader = tag;
      this.pendingVideoHeader = tag;
    } else {
      this.audioHeader = tag;
      this.pendingAudioHeader = tag;
    }
    return [];
  }

  /** Keeps the run since the latest keyframe, at most maxHeldMs long. */
  private hold(tag: FlvTag): void {
    const video = tag.type === FlvTagType.Video;
    if (!this.hasVideo) {
      this.held.push(tag);
      while (this.held.length > 1 && tag.timestamp - this.held[0].timestamp > this.maxHeldMs) this.drop(this.held.shift()!);
      return;
    }
    if (video && isVideoKeyframe(tag)) {
      const first = this.held[0];
      // A newer picture to start on once the run is long: keep latency bounded.
      if (first === undefined || tag.timestamp - first.timestamp > this.maxHeldMs) this.dropHeld();
      this.held.push(tag);
      return;
    }
    if (this.held.length === 0 || tag.timestamp < this.held[0].timestamp) {
      this.drop(tag); // nothing to start on yet, or older than the picture we start on
      return;
    }
    this.held.push(tag);
  }

  private heldKeyframe(): boolean {
    return this.held.length > 0 && isVideoKeyframe(this.held[0]);
  }

  private tryStart(): TimelineItem[] {
    if (this.hasVideo && (this.videoHeader === undefined || !this.heldKeyframe())) return [];
    if (!this.hasVideo && this.held.length === 0) return [];
    this.base = this.held[0].timestamp;
    const out: TimelineItem[] = [{ kind: 'metadata', timestamp: 0 }];
    if (this.videoHeader) out.push({ kind: 'tag', tag: { ...this.videoHeader, timestamp: 0 } });
    if (this.audioHeader) out.push({ kind: 'tag', tag: { ...this.audioHeader, timestamp: 0 } });
    const held = this.held;
    this.held = [];
    for (const tag of held) out.push(...this.rebase(tag));
    return out;
  }

  private rebase(tag: FlvTag): TimelineItem[] {
    const video = tag.type === FlvTagType.Video;
    const last = video ? this.lastVideo : this.lastAudio;
    const ts = Math.max(last + 1, tag.timestamp - this.base!);
    if (video) this.lastVideo = ts;
    else this.lastAudio = ts;
    this.lastOut = Math.max(this.lastOut, ts);
    const out: TimelineItem[] = [];
    const pending = video ? this.pendingVideoHeader : this.pendingAudioHeader;
    if (pending !== undefined) {
      if (video) this.pendingVideoHeader = undefined;
      else this.pendingAudioHeader = undefined;
      out.push({ kind: 'tag', tag: { type: pending.type, timestamp: ts, data: pending.data } });
    }
    out.push({ kind: 'tag', tag: ts === tag.timestamp ? tag : { type: tag.type, timestamp: ts, data: tag.data } });
    return out;
  }

  private dropHeld(): void {
    for (const tag of this.held) this.drop(tag);
    this.held = [];
  }

  private drop(tag: FlvTag): void {
    if (tag.type === FlvTagType.Video) this.stats.videoDropped++;
    else this.stats.audioDropped++;
  }
}
