import { RtpPacket } from 'werift';
import type { Logger } from '../../log';
import type { VideoCodec } from '../../media/frames';
import { TypedEmitter } from '../../util/typed-emitter';
import type { TrackKind } from '../media-clock';
import type { PublisherEvents, PublisherState, PublisherStats, RtpTap } from '../publisher';
import type { PublisherHandle } from '../publisher-host';
import type { OfferChoice } from '../sdp-offer';
import { unpackParts } from './frame-transfer';
import type { FromWorker, PublisherDescription, ToWorker } from './messages';

/** The messages that concern one publisher (the worker routes them by id). */
export type PublisherMessage = Exclude<FromWorker, { type: 'ready' | 'created' | 'createFailed' | 'stats' | 'log' | 'batch' }>;

/**
 * The main thread's side of a publisher whose media a worker receives: the same surface
 * as a Publisher (PublisherHandle). Frames arrive as the worker's messages, in order, and
 * are emitted as the Publisher emits them; `toJSON()` answers the figures the worker
 * pushed last (every STATS_PUSH_INTERVAL_MS and at every change of state), except the
 * frame counts: those are the frames that reached this thread, counted here, so they
 * are current and say what the transponders could get (frames still in the port's queue
 * are not counted yet). The pushed figures also carry what the worker dropped because
 * this thread did not take its media in time (BackloggedPublisherStats).
 */
export class RemotePublisher extends TypedEmitter<PublisherEvents> implements PublisherHandle {
  readonly answerSdp: string;
  readonly codecs: OfferChoice;
  private readonly videoCodecValue?: VideoCodec;
  private readonly audio: boolean;
  private readonly video: boolean;
  private stateValue: PublisherState = 'connecting';
  private closeReason?: string;
  private stats: PublisherStats;
  private readonly taps = new Set<RtpTap>();
  private readonly received = { video: 0, keyframes: 0, audio: 0 };
  private drain: Promise<void>;
  private settleDrain!: () => void;

  constructor(
    readonly streamName: string,
    private readonly id: number,
    description: PublisherDescription,
    private readonly send: (message: ToWorker) => void,
    /** the publish's logger: the worker's lines about this publisher are written through it */
    readonly log: Logger,
  ) {
    super((event, error) => log.error('publisher listener threw', { stream: streamName, event, error: String(error) }));
    this.answerSdp = description.answerSdp;
    this.codecs = description.codecs;
    this.videoCodecValue = description.videoCodec;
    this.audio = description.hasAudio;
    this.video = description.hasVideo;
    this.stats = description.stats;
    this.drain = new Promise((resolve) => (this.settleDrain = resolve));
  }

  get closed(): boolean {
    return this.stateValue === 'closed';
  }

  get state(): PublisherState {
    return this.stateValue;
  }

  get drained(): Promise<void> {
    return this.drain;
  }

  videoCodec(): VideoCodec | undefined {
    return this.videoCodecValue;
  }

  hasAudio(): boolean {
    return this.audio;
  }

  hasVideo(): boolean {
    return this.video;
  }

  requestKeyframe(opts: { urgent?: boolean } = {}): void {
    if (this.closed) return;
    this.send({ type: 'keyframe', id: this.id, urgent: opts.urgent === true });
  }

  addRtpTap(tap: RtpTap): () => void {
    if (this.closed) return () => undefined;
    this.taps.add(tap);
    if (this.taps.size === 1) this.send({ type: 'tap', id: this.id, on: true });
    return () => this.removeTap(tap);
  }

  private removeTap(tap: RtpTap): void {
    if (!this.taps.delete(tap) || this.taps.size > 0 || this.closed) return;
    this.send({ type: 'tap', id: this.id, on: false });
  }

  toJSON(): PublisherStats {
    const { video, audio } = this.stats;
    return {
      ...this.stats,
      state: this.stateValue,
      closeReason: this.closeReason,
      video: video && { ...video, frames: this.received.video, keyframes: this.received.keyframes },
      audio: audio && { ...audio, frames: this.received.audio },
    };
  }

  /**
   * Closed at once ('close' emitted once); the worker is told to close the real publisher,
   * and the returned drain settles when it confirms its peer connection is released (or
   * the worker is gone).
   */
  close(reason: string): Promise<void> {
    if (this.closed) return this.drain;
    this.send({ type: 'close', id: this.id, reason });
    this.end(reason);
    return this.drain;
  }

  /** Its worker is gone: every socket it held went with the thread. */
  workerGone(reason: string): void {
    this.end(reason);
    this.settleDrain();
  }

  /** One message about this publisher from its worker. */
  receive(message: PublisherMessage): void {
    switch (message.type) {
      case 'video':
        if (this.closed) return;
        this.received.video++;
        if (message.keyframe) this.received.keyframes++;
        this.emit('video', { pts: message.pts, keyframe: message.keyframe, nalUnits: unpackParts(message.data, message.sizes) });
        return;
      case 'audio':
        if (this.closed) return;
        this.received.audio++;
        this.emit('audio', { pts: message.pts, opus: Buffer.from(message.data) });
        return;
      case 'vpx':
        if (this.closed) return;
        this.received.video++;
        if (message.keyframe) this.received.keyframes++;
        this.emit('vpxVideo', { codec: message.codec, pts: message.pts, keyframe: message.keyframe, data: Buffer.from(message.data), width: message.width, height: message.height });
        return;
      case 'rtp':
        if (this.taps.size > 0) this.tapRtp(message.kind, RtpPacket.deSerialize(Buffer.from(message.data)));
        return;
      case 'senderReport':
        for (const tap of this.taps) this.callTap(tap, () => tap.senderReport(message.kind, message.ntpMs, message.rtpTimestamp));
        return;
      case 'state':
        if (this.closed) return;
        this.stats = message.stats;
        this.stateValue = message.state;
        this.emit(message.state);
        return;
      case 'closed':
        this.stats = message.stats;
        this.end(message.reason);
        return;
      case 'released':
        this.settleDrain();
        return;
    }
  }

  /** The figures the worker pushed last. */
  updateStats(stats: PublisherStats): void {
    if (!this.closed) this.stats = stats;
  }

  private tapRtp(kind: TrackKind, packet: RtpPacket): void {
    for (const tap of this.taps) this.callTap(tap, () => tap.rtp(kind, packet));
  }

  /** A throwing tap is removed (and logged), as the Publisher does: one broken player cannot stall the rest. */
  private callTap(tap: RtpTap, call: () => void): void {
    try {
      call();
    } catch (error) {
      this.removeTap(tap);
      this.log.error('rtp tap threw; removed', { stream: this.streamName, error: String(error) });
    }
  }

  private end(reason: string): void {
    if (this.closed) return;
    this.stateValue = 'closed';
    this.closeReason = reason;
    this.taps.clear();
    this.emit('close', reason);
    this.removeAllListeners();
  }
}
