/**
 * What a Publisher hands to its consumers. Both kinds carry `pts` in milliseconds on one
 * clock per publisher, aligned across audio and video by RTCP sender reports.
 */

/** The video codecs a publisher may send; only H.264 goes to RTMP without transcoding. */
export type VideoCodec = 'h264' | 'vp8' | 'vp9';

/** One H.264 access unit. */
export interface VideoFrame {
  /** absent on frames made before other codecs existed: H.264 */
  codec?: 'h264';
  /** ms, publisher clock */
  pts: number;
  /** true when the access unit holds an IDR slice */
  keyframe: boolean;
  /** NAL units without start codes; SPS and PPS are included before each keyframe */
  nalUnits: Buffer[];
}

/** One VP8 frame or VP9 picture (a superframe when it has several spatial layers). */
export interface VpxFrame {
  codec: 'vp8' | 'vp9';
  /** ms, publisher clock */
  pts: number;
  /** decodable without any earlier frame */
  keyframe: boolean;
  /** the frame as a decoder takes it (what IVF carries) */
  data: Buffer;
  /** keyframes only: the coded picture size from the frame header */
  width?: number;
  height?: number;
}

/** What a publisher's video track emits: H.264 (relayed as is) or VP8/VP9 (transcoded). */
export type SourceVideoFrame = VideoFrame | VpxFrame;

/** Whether a frame is VP8/VP9 (and so must be transcoded for RTMP). */
export function isVpxFrame(frame: SourceVideoFrame): frame is VpxFrame {
  return frame.codec === 'vp8' || frame.codec === 'vp9';
}

/** One Opus packet (RFC 6716), as carried in one RTP payload. */
export interface AudioFrame {
  pts: number;
  opus: Buffer;
}
