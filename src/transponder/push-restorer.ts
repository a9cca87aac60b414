/**
 * The life of one push across connections: runs one RtmpPublisher attempt at a time and,
 * when a publishing connection is lost, starts the next one as the restore policy
 * (rtmp_push_restore*) allows, as MediaMTX's source handler owns the retry loop around
 * one cancellable attempt.
 *
 *   CONNECTING ─▶ PUBLISHING ─(lost)─▶ RESTORING ─(attempt publishes)─▶ PUBLISHING
 *       │                                  │
 *       └─(first attempt refused)─▶ FAILED ◀┘ (policy gives up)       close() ─▶ TERMINATED
 *
 * The next attempt exists from the moment of the loss, so it keeps the run since the
 * latest keyframe while it waits and starts on a picture at once. Each attempt starting
 * to connect asks the source for a keyframe without delay (urgent).
 *
 * A restore refused by the destination guard (the host now resolves to a denied address)
 * ends FAILED at once: every further attempt would be refused the same way.
 */
import { TypedEmitter } from '../util/typed-emitter';
import type { FlvTag } from '../flv/flv-tag';
import { RtmpPublisher, type MetadataSource, type RtmpPublisherOptions, type RtmpPublisherStats, type RtmpPushState } from '../rtmp/rtmp-publisher';
import type { RestoreRule } from './restore-policy';
import type { TransponderState } from './transponder-api';

export interface PushRestorerOptions {
  /** What each attempt is made with. */
  attempt: RtmpPublisherOptions;
  /**
   * When to try again after a loss: a rule, or a getter asked as each loss begins (so a
   * settings reload governs later losses and never changes an outage under way).
   */
  restore: RestoreRule | (() => RestoreRule);
}

export type PushRestorerEvents = {
  /** `reason` is shown to callers; `detail` (what happened underneath) is for the log. */
  state: [state: TransponderState, reason: string, detail: string];
  /** The source should send a keyframe; `urgent` when a connection is starting now. */
  needKeyframe: [urgent: boolean];
};

/** One connection's figures summed over every attempt, plus what restoring did. */
export interface PushStats extends Omit<RtmpPublisherStats, 'state' | 'target' | 'lastError'> {
  /** Attempts made since the push was last lost (0 while publishing). */
  restoreAttempts: number;
  /** Losses recovered from. */
  restores: number;
  /** Why the last connection ended or failed, over every attempt. */
  lastError?: string;
}

type Totals = Pick<PushStats, 'bytesSent' | 'videoFramesSent' | 'audioFramesSent' | 'videoFramesDropped' | 'audioFramesDropped' | 'lagHolds'>;

export class PushRestorer extends TypedEmitter<PushRestorerEvents> {
  private attempt: RtmpPublisher;
  private current: TransponderState = 'PENDING';
  private why = 'created';
  private timer: NodeJS.Timeout | undefined;
  private restoreAttempts = 0;
  /** The rule of the loss under way, fixed when it began. */
  private lossRule: RestoreRule | undefined;
  private restores = 0;
  private lastError: string | undefined;
  private lastDetail: string | undefined;
  private metadata: MetadataSource | undefined;
  private readonly finished: Totals = { bytesSent: 0, videoFramesSent: 0, audioFramesSent: 0, videoFramesDropped: 0, audioFramesDropped: 0, lagHolds: 0 };
  /** Drains of attempts still releasing (pruned as each settles). */
  private readonly drains = new Set<Promise<void>>();

  constructor(private readonly opts: PushRestorerOptions) {
    super();
    // Throws RtmpUrlError for a bad URL: callers check the URL before.
    this.attempt = this.newAttempt();
  }

  get state(): TransponderState {
    return this.current;
  }

  get reason(): string {
    return this.why;
  }

  get closed(): boolean {
    return this.current === 'TERMINATED' || this.current === 'FAILED';
  }

  /** The detail of the last error (the socket error behind "cannot connect …"), for logs and the push CLI. */
  get lastErrorDetail(): string | undefined {
    return this.lastDetail;
  }

  /** The published name at the server (e.g. rtmp_cam1), never the URL. */
  get publishedName(): string {
    return this.attempt.target.streamName;
  }

  /** Starts the first attempt; the state tells the rest. */
  start(): void {
    if (this.current !== 'PENDING') throw new Error(`start() called in state ${this.current}`);
    this.setState('CONNECTING', 'connecting to the RTMP server');
    this.run(this.attempt);
  }

  /** onMetaData for each connection's start: a value, or a function asked at that moment. */
  setMetadata(meta: MetadataSource): void {
    this.metadata = meta;
    this.attempt.setMetadata(meta);
  }

  send(tag: FlvTag): void {
    this.attempt.send(tag);
  }

  /**
   * Ends the push: the state is terminal at once, the reason kept; the attempt (its
   * connect, or FCUnpublish and deleteStream) and timers are released after. Returns the
   * drain. A second call, or one after FAILED, changes nothing.
   */
  close(reason: string, state: 'TERMINATED' | 'FAILED' = 'TERMINATED', detail = reason): Promise<void> {
    if (!this.closed) {
      this.setState(state, reason, detail);
      this.release(reason);
    }
    return Promise.all([...this.drains]).then(() => undefined);
  }

  toJSON(): PushStats {
    const a = this.attempt.toJSON();
    return {
      bytesSent: this.finished.bytesSent + a.bytesSent,
      bitrateKbps: a.bitrateKbps,
      videoFramesSent: this.finished.videoFramesSent + a.videoFramesSent,
      audioFramesSent: this.finished.audioFramesSent + a.audioFramesSent,
      videoFramesDropped: this.finished.videoFramesDropped + a.videoFramesDropped,
      audioFramesDropped: this.finished.audioFramesDropped + a.audioFramesDropped,
      queuedBytes: a.queuedBytes,
      serverLagMs: a.serverLagMs,
      lagHolds: this.finished.lagHolds + a.lagHolds,
      restoreAttempts: this.restoreAttempts,
      restores: this.restores,
      connectMs: a.connectMs,
      lastError: this.lastError,
    };
  }

  // ---- attempts -------------------------------------------------------------------

  private newAttempt(previous?: RtmpPublisher): RtmpPublisher {
    const attempt = new RtmpPublisher(this.opts.attempt);
    if (previous) attempt.inheritHeaders(previous.headers());
    if (this.metadata) attempt.setMetadata(this.metadata);
    attempt.on('state', (state, reason, detail) => this.onAttemptState(attempt, state, reason, detail));
    attempt.on('needKeyframe', () => this.emit('needKeyframe', false));
    return attempt;
  }

  private run(attempt: RtmpPublisher): void {
    this.emit('needKeyframe', true);
    attempt.start().catch(() => undefined /* its state event carries the reason */);
  }

  private onAttemptState(attempt: RtmpPublisher, state: RtmpPushState, reason: string, detail: string): void {
    if (attempt !== this.attempt || this.closed) return;
    switch (state) {
      case 'publishing': {
        const restored = this.current === 'RESTORING';
        if (restored) this.restores++;
        this.restoreAttempts = 0;
        this.setState('PUBLISHING', restored ? `restored after a loss (${this.lastError ?? 'connection lost'})` : reason);
        return;
      }
      case 'lost':
        this.lastError = reason;
        this.lastDetail = detail;
        this.retire(attempt);
        this.scheduleRestore(reason, detail);
        return;
      case 'failed':
        this.lastError = reason;
        this.lastDetail = detail;
        if (this.current === 'CONNECTING' || !attempt.retryable) {
          this.close(reason, 'FAILED', detail).catch(() => undefined);
          return;
        }
        this.retire(attempt);
        this.scheduleRestore(reason, detail);
        return;
      default:
        return;
    }
  }

  /** The attempt ended on its own: count what it did and make the next one, holding. */
  private retire(attempt: RtmpPublisher): void {
    const s = attempt.toJSON();
    this.finished.bytesSent += s.bytesSent;
    this.finished.videoFramesSent += s.videoFramesSent;
    this.finished.audioFramesSent += s.audioFramesSent;
    this.finished.videoFramesDropped += s.videoFramesDropped;
    this.finished.audioFramesDropped += s.audioFramesDropped;
    this.finished.lagHolds += s.lagHolds;
    this.track(attempt.drained);
    this.attempt = this.newAttempt(attempt);
  }

  private ruleOfThisLoss(): RestoreRule {
    if (this.restoreAttempts === 0 || this.lossRule === undefined) {
      const r = this.opts.restore;
      this.lossRule = typeof r === 'function' ? r() : r;
    }
    return this.lossRule;
  }

  private scheduleRestore(reason: string, detail: string): void {
    const rule = this.ruleOfThisLoss();
    const delay = rule.nextDelay(this.restoreAttempts);
    if (delay === undefined) {
      const gaveUp = rule.enabled ? `; gave up after ${this.restoreAttempts} restore attempts` : '';
      this.close(`${reason}${gaveUp}`, 'FAILED', `${detail}${gaveUp}`).catch(() => undefined);
      return;
    }
    const n = this.restoreAttempts + 1;
    this.setState('RESTORING', `${reason}; restore attempt ${n}${this.ofAttempts()} in ${delay} ms`, detail);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.closed) return;
      this.restoreAttempts = n;
      this.setState('RESTORING', `${reason}; restore attempt ${n}${this.ofAttempts()} connecting`);
      this.run(this.attempt);
    }, delay);
  }

  private ofAttempts(): string {
    const attempts = (this.lossRule ?? this.ruleOfThisLoss()).attempts;
    return attempts >= 0 ? ` of ${attempts}` : '';
  }

  private release(reason: string): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.track(this.attempt.close(reason));
  }

  private track(drain: Promise<void>): void {
    const settled: Promise<void> = drain.catch(() => undefined).then(() => {
      this.drains.delete(settled);
    });
    this.drains.add(settled);
  }

  private setState(state: TransponderState, reason: string, detail = reason): void {
    if (this.closed) return;
    if (state === this.current && reason === this.why) return;
    this.current = state;
    this.why = reason;
    this.emit('state', state, reason, detail);
  }
}
