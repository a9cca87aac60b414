/**
 * The time mapping of a viewer's RTCP sender reports (RFC 3550 6.4.1): which RTP
 * timestamp of the viewer's stream belongs to the NTP time of "now".
 *
 * The mapping comes from the publisher's own sender reports, shifted: the publisher's
 * RTP timestamp by the stream's timestamp offset, its NTP time by one shift per viewer
 * (our clock minus the publisher's, taken once). The same shift for audio and video
 * keeps the publisher's lip sync exactly as it was captured. Before the publisher's
 * first report, the newest packet sent and its send time stand in.
 */

/** NTP's epoch (1900) is this many seconds before Unix's (1970). */
const NTP_UNIX_OFFSET_S = 2208988800;

/** Milliseconds since 1970 → 64-bit NTP timestamp (seconds since 1900, 32.32 fixed point). */
export function msToNtp(unixMs: number): bigint {
  const seconds = Math.floor(unixMs / 1000);
  const fraction = Math.round(((unixMs - seconds * 1000) / 1000) * 2 ** 32);
  // A fraction that rounds up to 2^32 carries into the seconds.
  return (BigInt(seconds + NTP_UNIX_OFFSET_S) << 32n) + BigInt(fraction);
}

/** 64-bit NTP timestamp → milliseconds since 1970. */
export function ntpToUnixMs(ntp: bigint): number {
  return (Number(ntp >> 32n) - NTP_UNIX_OFFSET_S) * 1000 + (Number(ntp & 0xffffffffn) * 1000) / 2 ** 32;
}

/** One (time, RTP timestamp) pair of a stream's clock: both name the same instant. */
export interface ClockReference {
  /** ms since 1970, on our clock */
  atMs: number;
  rtpTimestamp: number;
}

/** The RTP timestamp at `nowMs`, extrapolated from a reference at the stream's clock rate. */
export function rtpTimestampAt(reference: ClockReference, clockRate: number, nowMs: number): number {
  const ticks = Math.round(((nowMs - reference.atMs) * clockRate) / 1000);
  return ((((reference.rtpTimestamp + ticks) % 2 ** 32) + 2 ** 32) % 2 ** 32);
}

/**
 * The reference of a viewer stream from a publisher's sender report:
 * its NTP time moved onto our clock by `shiftMs`, its RTP timestamp by the stream's offset.
 */
export function referenceFromPublisherReport(report: { ntpMs: number; rtpTimestamp: number }, shiftMs: number, timestampOffset: number): ClockReference {
  return { atMs: report.ntpMs + shiftMs, rtpTimestamp: (((report.rtpTimestamp + timestampOffset) % 2 ** 32) + 2 ** 32) % 2 ** 32 };
}
