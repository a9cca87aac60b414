/**
 * One presentation clock (ms) for the audio and video of one publisher.
 *
 * Each track maps its RTP timestamps to ms. Until the track's first RTCP sender report
 * arrives, the arrival time of its first packet anchors the mapping (we never hold media
 * back waiting for a report: a relay that does starts seconds late). From the first
 * sender report on, the NTP time of the report anchors it, shifted by one offset shared
 * by both tracks, so audio and video line up as the browser captured them. The offset is
 * chosen when the first report of any track arrives, keeping that track continuous.
 *
 * werift's NtpTime processor does the NTP arithmetic but buffers every packet until the
 * first report, which breaks the rule above; this class does the same arithmetic without
 * holding anything.
 */

export type TrackKind = 'audio' | 'video';

interface TrackClock {
  rate: number;
  /** last unwrapped RTP timestamp, for 32-bit wrap-around */
  lastExt?: number;
  /** anchor: this extended RTP timestamp is at `ms` on our clock */
  anchorRtp?: number;
  anchorMs?: number;
  fromReport: boolean;
  lastPts: number;
}

const TWO_32 = 2 ** 32;

export class MediaClock {
  private readonly tracks: Record<TrackKind, TrackClock>;
  /** ours = ntp + offset; fixed at the first sender report of any track */
  private ntpOffsetMs?: number;
  private readonly startMs: number;

  constructor(rates: { audio: number; video: number }, private readonly now: () => number = () => performance.now()) {
    this.tracks = {
      audio: { rate: rates.audio, fromReport: false, lastPts: -Infinity },
      video: { rate: rates.video, fromReport: false, lastPts: -Infinity },
    };
    this.startMs = now();
  }

  /** ms on our clock for a packet with this RTP timestamp, never earlier than the previous one of the track. */
  pts(kind: TrackKind, rtpTimestamp: number): number {
    const t = this.tracks[kind];
    const ext = this.unwrap(t, rtpTimestamp);
    if (t.anchorRtp === undefined || t.anchorMs === undefined) {
      t.anchorRtp = ext;
      t.anchorMs = this.now() - this.startMs;
    }
    let pts = t.anchorMs + ((ext - t.anchorRtp) * 1000) / t.rate;
    if (pts < t.lastPts) pts = t.lastPts;
    t.lastPts = pts;
    return Math.round(pts);
  }

  /** An RTCP sender report of this track: `ntpMs` is the sender's wall clock at `rtpTimestamp`. */
  senderReport(kind: TrackKind, ntpMs: number, rtpTimestamp: number): void {
    const t = this.tracks[kind];
    const ext = this.nearestExt(t, rtpTimestamp);
    if (this.ntpOffsetMs === undefined) {
      const current = t.anchorRtp !== undefined && t.anchorMs !== undefined
        ? t.anchorMs + ((ext - t.anchorRtp) * 1000) / t.rate
        : this.now() - this.startMs;
      this.ntpOffsetMs = current - ntpMs;
    }
    t.anchorRtp = ext;
    t.anchorMs = ntpMs + this.ntpOffsetMs;
    t.fromReport = true;
    if (t.lastExt === undefined) t.lastExt = ext;
  }

  /** True once the track is on sender-report time. */
  synced(kind: TrackKind): boolean {
    return this.tracks[kind].fromReport;
  }

  private unwrap(t: TrackClock, ts: number): number {
    const ext = this.nearestExt(t, ts);
    if (t.lastExt === undefined || ext > t.lastExt) t.lastExt = ext;
    return ext;
  }

  /** The extended value of a 32-bit timestamp closest to the last one seen. */
  private nearestExt(t: TrackClock, ts: number): number {
    if (t.lastExt === undefined) return ts;
    const base = t.lastExt - (t.lastExt % TWO_32);
    let best = base + ts;
    for (const c of [best - TWO_32, best + TWO_32]) {
      if (Math.abs(c - t.lastExt) < Math.abs(best - t.lastExt)) best = c;
    }
    return best;
  }
}
