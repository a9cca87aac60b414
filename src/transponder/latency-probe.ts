/**
 * A measuring seam for the relay benchmark: where a frame enters a transponder, leaves
 * its Interleaver, and is written to the RTMP socket. Times are `performance.now()` ms;
 * timestamps are on the publisher's clock (ms), so one frame can be followed through.
 *
 * Nothing in the product sets a probe: the benchmark gives one to the TransponderManager
 * it builds in-process. Without one, the per-packet path pays one `undefined` check.
 */
export type ProbeTrack = 'video' | 'audio';

export interface LatencyProbe {
  /** A source frame reached the transponder: a whole access unit (its last RTP packet), or one Opus packet. */
  frameIn(track: ProbeTrack, pts: number, at: number): void;
  /** A media tag left the Interleaver (FLV timestamp on the publisher's clock). */
  interleaved(track: ProbeTrack, timestamp: number, at: number): void;
  /** A media tag (not a sequence header) was handed to the RTMP socket; timestamp back on the publisher's clock. */
  tagOut(track: ProbeTrack, timestamp: number, at: number): void;
}
