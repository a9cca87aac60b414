/**
 * A LatencyProbe that follows each frame through one transponder and keeps what the
 * relay added, from a frame's arrival to its FLV tag written to the RTMP socket.
 *
 * Matching:
 *  - video: by timestamp. The Publisher's pts are integer ms and a passthrough video tag
 *    carries the frame's pts, so arrival (the access unit completed by its last RTP
 *    packet) and write are the same key. Split: arrival → out of the Interleaver (the
 *    wait for AAC), and Interleaver → socket (output buffer, send queue).
 *  - audio: an AAC frame with pts P holds the audio of [P, P + 21.33 ms) (1024 samples at
 *    48 kHz). It cannot exist before the last Opus packet carrying any of that audio has
 *    arrived: the packet with the largest pts Q whose audio starts before P + 21.33 ms,
 *    where a packet's decoded audio starts one Opus look-ahead (6.5 ms) before its pts (as
 *    AudioTrack maps them). Latency = written-at − that packet's arrival. This counts
 *    the AAC encoder's own look-ahead (its MDCT overlaps the next frame: another
 *    21.33 ms of input before a frame can come out) as relay latency, as it is for any
 *    AAC-LC encoder. The tag's timestamp is rounded to 1 ms, so the match is ±0.5 ms.
 *
 * Only frames written while `recording` is true are kept; matching state is pruned so a
 * long run stays small.
 */
import type { LatencyProbe, ProbeTrack } from '../../src/transponder/latency-probe';

const AAC_FRAME_MS = 1024 / 48;
const OPUS_LOOKAHEAD_MS = 312 / 48;

export interface LatencySamples {
  /** arrival → socket, ms */
  total: number[];
  /** arrival → out of the Interleaver, ms */
  interleaver: number[];
  /** out of the Interleaver → socket, ms */
  afterInterleaver: number[];
}

/** A video frame's timeline, kept for what-if analyses of the Interleaver. */
export interface VideoTimeline {
  pts: number;
  in: number;
  interleaved: number;
  out: number;
}

/** An AAC tag's timeline: when it entered the Interleaver (= left the encoder) and the socket. */
export interface AudioTimeline {
  pts: number;
  interleaved: number;
  out: number;
  /** arrival of the last Opus packet it needs */
  needIn: number;
  /** arrival of the last Opus packet AAC's look-ahead needs (audio up to P + 42.7 ms): the earliest any AAC-LC encoder can emit it */
  lookaheadIn: number | undefined;
}

const empty = (): LatencySamples => ({ total: [], interleaver: [], afterInterleaver: [] });

export class LatencyRecorder implements LatencyProbe {
  recording = false;
  readonly video = empty();
  readonly audio = empty();
  readonly videoTimeline: VideoTimeline[] = [];
  readonly audioTimeline: AudioTimeline[] = [];
  unmatched = { video: 0, audio: 0 };
  /** performance.now() of the first tag written, of either kind / of video. */
  firstTagOut: number | undefined;
  firstVideoOut: number | undefined;
  /** Source timestamp of the first video tag written: the push's base (FLV timestamp 0). */
  firstVideoOutTimestamp: number | undefined;
  private readonly videoIn = new Map<number, number>();
  private readonly videoInterleaved = new Map<number, number>();
  private readonly audioInterleaved = new Map<number, number>();
  /** Opus arrivals in pts order (RTP order; the jitter buffer reorders). */
  private readonly opusPts: number[] = [];
  private readonly opusAt: number[] = [];

  frameIn(track: ProbeTrack, pts: number, at: number): void {
    if (track === 'video') {
      this.videoIn.set(pts, at);
      if (this.videoIn.size > 600) prune(this.videoIn, pts - 10_000);
      return;
    }
    this.opusPts.push(pts);
    this.opusAt.push(at);
    if (this.opusPts.length > 2000) {
      this.opusPts.splice(0, 1000);
      this.opusAt.splice(0, 1000);
    }
  }

  interleaved(track: ProbeTrack, timestamp: number, at: number): void {
    const map = track === 'video' ? this.videoInterleaved : this.audioInterleaved;
    map.set(timestamp, at);
    if (map.size > 600) prune(map, timestamp - 10_000);
  }

  tagOut(track: ProbeTrack, timestamp: number, at: number): void {
    this.firstTagOut ??= at;
    if (track === 'video' && this.firstVideoOut === undefined) {
      this.firstVideoOut = at;
      this.firstVideoOutTimestamp = timestamp;
    }
    if (!this.recording) return;
    if (track === 'video') {
      const arrived = this.videoIn.get(timestamp);
      const il = this.videoInterleaved.get(timestamp);
      if (arrived === undefined || il === undefined) {
        this.unmatched.video++;
        return;
      }
      this.videoIn.delete(timestamp);
      this.videoInterleaved.delete(timestamp);
      this.video.total.push(at - arrived);
      this.video.interleaver.push(il - arrived);
      this.video.afterInterleaver.push(at - il);
      this.videoTimeline.push({ pts: timestamp, in: arrived, interleaved: il, out: at });
      return;
    }
    const il = this.audioInterleaved.get(timestamp);
    const needIn = this.lastOpusArrivalBefore(timestamp + AAC_FRAME_MS);
    if (il === undefined || needIn === undefined) {
      this.unmatched.audio++;
      return;
    }
    this.audioInterleaved.delete(timestamp);
    this.audio.total.push(at - needIn);
    this.audio.interleaver.push(il - needIn);
    this.audio.afterInterleaver.push(at - il);
    this.audioTimeline.push({ pts: timestamp, interleaved: il, out: at, needIn, lookaheadIn: this.lastOpusArrivalBefore(timestamp + 2 * AAC_FRAME_MS) });
  }

  /** Arrival of the packet with the largest pts whose audio starts before `end`. */
  private lastOpusArrivalBefore(end: number): number | undefined {
    let bestPts = -Infinity;
    let bestAt: number | undefined;
    for (let i = this.opusPts.length - 1; i >= 0; i--) {
      const q = this.opusPts[i];
      if (q - OPUS_LOOKAHEAD_MS < end && q > bestPts) {
        bestPts = q;
        bestAt = this.opusAt[i];
      }
      // Arrivals are in RTP order but for reordering: well before `end`, nothing later is left.
      if (q - OPUS_LOOKAHEAD_MS < end - 200) break;
    }
    return bestAt;
  }
}

function prune(map: Map<number, number>, below: number): void {
  for (const k of map.keys()) if (k < below) map.delete(k);
}

/** The middle value of unsorted values (the mean of the two middle ones for an even count); NaN for none. */
export function medianOf(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Nearest-rank percentile of unsorted values. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}
