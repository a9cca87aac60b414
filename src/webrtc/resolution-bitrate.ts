/**
 * The video bitrate we let a browser send when its publisher named no maxBitrate: what
 * the platforms recommend for the picture size (YouTube Live, Twitch: 480p 1.5, 720p 2.5,
 * 1080p 4.5 Mbit/s at 30 fps), held within webrtc_cc_min/max_bitrate. Without it, REMB
 * at webrtc_cc_max_bitrate (10 Mbit/s in WCS) lets Chromium send ~8 Mbit/s at 640x480,
 * which the RTMP server takes on unchanged and the relay pays for per packet.
 */

/** Upper bounds by pixel count (so portrait pictures get the same rate as landscape ones). */
const RECOMMENDED_KBPS: ReadonlyArray<{ maxPixels: number; kbps: number }> = [
  { maxPixels: 640 * 360, kbps: 1000 },
  { maxPixels: 854 * 480, kbps: 1500 },
  { maxPixels: 1280 * 720, kbps: 2500 },
  { maxPixels: 1920 * 1080, kbps: 4500 },
  { maxPixels: 2560 * 1440, kbps: 9000 },
];
const ABOVE_1440P_KBPS = 20000;

/** The platforms' recommended video bitrate (kbit/s) for a picture of this size. */
export function recommendedBitrateKbps(width: number, height: number): number {
  const pixels = width * height;
  return RECOMMENDED_KBPS.find((r) => pixels <= r.maxPixels)?.kbps ?? ABOVE_1440P_KBPS;
}

/** Before the first keyframe tells the size, the answer's start bitrate assumes 720p. */
export const UNKNOWN_SIZE_START_KBPS = recommendedBitrateKbps(1280, 720);

export interface BitrateLimits {
  min: number;
  start: number;
  max: number;
}

/**
 * The rate (kbit/s) our REMB asks for. `max` when the publisher named a maxBitrate (its
 * wish wins, as in WCS); otherwise the recommendation for the size, within min..max, or
 * the start rate while the size is unknown.
 */
export function rembTargetKbps(limits: BitrateLimits, capByResolution: boolean, size: { width: number; height: number } | undefined): number {
  if (!capByResolution) return limits.max;
  if (!size || size.width <= 0 || size.height <= 0) return limits.start;
  return Math.min(limits.max, Math.max(limits.min, recommendedBitrateKbps(size.width, size.height)));
}
