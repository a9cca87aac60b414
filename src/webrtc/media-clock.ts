/**
 * One presentation clock (ms) for the audio and video of one publisher.
 *
 * Each track maps its RTP timestamps to ms. Until the track's first RTCP sender report
 * arrives, the arrival time of its first packet anchors the mapping (we never hold media
 * back waiting for a report: a relay that does starts seconds late). From the first
 * sender report on, the NTP time of the report anchors it, shifted by one offset shared
 * by both tracks, so audio and video line up as the browser captured them. The offset is
 * chosen when the first report of any track arrives, keeping that track continuous. The
 * other track, already running on its arrival time, is not stepped onto that timeline: it
 * catches up at CATCH_UP_RATE of its media time. A step forward would be a gap in the
 * output with no keyframe after it (a sender whose pump ran late at the start puts its
 * tracks hundreds of ms apart), a step back a burst of equal timestamps.
 *
 * Later reports never step a track: its pts stays linear in its RTP time, and a report
 * that disagrees with the mapping only moves it by at most MAX_SLEW_MS (following the
 * slow drift of a sender's media clock against its wall clock). Re-anchoring on each
 * report made timestamps jump with every report of a sender whose reports pair an RTP
 * timestamp with the time the packet left rather than the time it was captured (werift's
 * RTCRtpSender, which tools/load-publisher uses: up to 964 ms when its pump ran late),
 * and collapsed the frames after a backward step into a burst of equal timestamps.
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
  /** ms added to the anchored mapping, moved by later reports in steps of at most MAX_SLEW_MS */
  correctionMs: number;
  /** what the track's first report still asks to add to correctionMs, a little per packet */
  catchUpMs: number;
}

/** The most one sender report moves a track's clock (reports come about once a second). */
export const MAX_SLEW_MS = 2;

/**
 * How fast a track moves onto the shared timeline after its first report: ms of
 * correction per ms of its media. 5 % keeps the spacing of 30 fps frames within 2 ms of
 * 33 ms and of 20 ms audio within 1 ms, which players take as jitter; 200 ms take 4 s.
 */
export const CATCH_UP_RATE = 0.05;

const TWO_32 = 2 ** 32;

export class MediaClock {
  private readonly tracks: Record<TrackKind, TrackClock>;
  /** ours = ntp + offset; fixed at the first sender report of any track */
  private ntpOffsetMs?: number;
  private readonly startMs: number;

  constructor(rates: { audio: number; video: number }, private readonly now: () => number = () => performance.now()) {
    this.tracks = {
      audio: { rate: rates.audio, fromReport: false, lastPts: -Infinity, correctionMs: 0, catchUpMs: 0 },
      video: { rate: rates.video, fromReport: false, lastPts: -Infinity, correctionMs: 0, catchUpMs: 0 },
    };
    this.startMs = now();
  }

  /** ms on our clock for a packet with this RTP timestamp, never earlier than the previous one of the track. */
  pts(kind: TrackKind, rtpTimestamp: number): number {
    const t = this.tracks[kind];
    const previousExt = t.lastExt;
    const ext = this.unwrap(t, rtpTimestamp);
    if (t.catchUpMs !== 0 && previousExt !== undefined && ext > previousExt) {
      const budget = (((ext - previousExt) * 1000) / t.rate) * CATCH_UP_RATE;
      const move = Math.max(-budget, Math.min(budget, t.catchUpMs));
      t.correctionMs += move;
      t.catchUpMs -= move;
    }
    if (t.anchorRtp === undefined || t.anchorMs === undefined) {
      t.anchorRtp = ext;
      t.anchorMs = this.now() - this.startMs;
    }
    let pts = t.anchorMs + t.correctionMs + ((ext - t.anchorRtp) * 1000) / t.rate;
    if (pts < t.lastPts) pts = t.lastPts;
    t.lastPts = pts;
    return Math.round(pts);
  }

  /** An RTCP sender report of this track: `ntpMs` is the sender's wall clock at `rtpTimestamp`. */
  senderReport(kind: TrackKind, ntpMs: number, rtpTimestamp: number): void {
    const t = this.tracks[kind];
    const ext = this.nearestExt(t, rtpTimestamp);
    const mapped = t.anchorRtp !== undefined && t.anchorMs !== undefined
      ? t.anchorMs + t.correctionMs + ((ext - t.anchorRtp) * 1000) / t.rate
      : undefined;
    if (this.ntpOffsetMs === undefined) this.ntpOffsetMs = (mapped ?? this.now() - this.startMs) - ntpMs;
    const reported = ntpMs + this.ntpOffsetMs;
    if (t.lastExt === undefined) t.lastExt = ext;
    if (mapped === undefined) {
      // No packet of the track yet: it starts on the shared NTP timeline.
      t.anchorRtp = ext;
      t.anchorMs = reported;
      t.correctionMs = 0;
      t.fromReport = true;
      return;
    }
    if (!t.fromReport) {
      // The track's first report: it moves onto the shared NTP timeline (once, at the start), gradually.
      t.fromReport = true;
      t.catchUpMs = reported - mapped;
      return;
    }
    // What the first report asked and was not applied yet is not a disagreement.
    t.correctionMs += Math.max(-MAX_SLEW_MS, Math.min(MAX_SLEW_MS, reported - (mapped + t.catchUpMs)));
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
