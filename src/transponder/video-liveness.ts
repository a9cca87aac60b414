/**
 * The video side's TrackLiveness: the transponder reports each source frame as it hands
 * it on (to the muxer, or to the transcoder, whose output for it is then certain).
 *
 * Video reaches `ts` when a frame of that time is already handed on (inside the
 * transcoder), or while the source keeps sending: a camera sends at least a few frames a
 * second, so a source silent for VIDEO_GONE_MS has stopped (camera off, browser gone)
 * and audio is no longer held for it.
 */
import { realClock, type LivenessClock, type TrackLiveness } from './track-liveness';

export const VIDEO_GONE_MS = 500;

export class VideoLiveness implements TrackLiveness {
  private lastPts = Number.NEGATIVE_INFINITY;
  private lastAt = Number.NEGATIVE_INFINITY;
  private stopped = false;

  constructor(private readonly clock: LivenessClock = realClock) {}

  /** A source frame was handed on. */
  frameIn(pts: number): void {
    if (pts > this.lastPts) this.lastPts = pts;
    this.lastAt = this.clock.now();
  }

  /** The video side ended (transcoder gone, transponder closing): nothing is waited for. */
  stop(): void {
    this.stopped = true;
  }

  willReach(ts: number): boolean {
    if (this.stopped) return false;
    if (this.lastPts >= ts) return true;
    return this.clock.now() - this.lastAt <= VIDEO_GONE_MS;
  }
}
