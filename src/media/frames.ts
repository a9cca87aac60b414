/**
 * What a Publisher hands to its consumers. Both kinds carry `pts` in milliseconds on one
 * clock per publisher, aligned across audio and video by RTCP sender reports.
 */

/** One H.264 access unit. */
export interface VideoFrame {
  /** ms, publisher clock */
  pts: number;
  /** true when the access unit holds an IDR slice */
  keyframe: boolean;
  /** NAL units without start codes; SPS and PPS are included before each keyframe */
  nalUnits: Buffer[];
}

/** One Opus packet (RFC 6716), as carried in one RTP payload. */
export interface AudioFrame {
  pts: number;
  opus: Buffer;
}
