/**
 * What WCS /push/startup's optional `width, height, fps, bitrate, keyFrameInterval`
 * mean for the video of one push. Pure: validation and arithmetic, no ffmpeg.
 *
 * WCS rules, as its users rely on them:
 * - the video is transcoded exactly when height, fps, bitrate or keyFrameInterval is
 *   set, or width together with height; otherwise it passes through untouched;
 * - width alone changes nothing: it is ignored, also when another field makes the
 *   stream transcode (the picture then keeps the source size);
 * - with height but no width, the width follows the source aspect ratio;
 * - 0 (and a missing field) means "not set".
 */

import { evenSize, type TranscodeParams } from '../ffmpeg/transcode-output';

export type { TranscodeParams };

export interface TranscodeRequest {
  width?: number;
  height?: number;
  fps?: number;
  /** kbps */
  bitrate?: number;
  /** frames between keyframes */
  keyFrameInterval?: number;
}

/**
 * Bounds a real encoder accepts. 4096 is the widest picture of H.264 level 5.1/5.2
 * (and of most RTMP ingests); 120 fps and 100 Mbit/s are beyond any camera in a
 * browser; one keyframe per 3600 frames is a minute at 60 fps.
 */
const LIMITS = {
  width: { min: 2, max: 4096, unit: 'pixels' },
  height: { min: 2, max: 4096, unit: 'pixels' },
  fps: { min: 1, max: 120, unit: 'frames per second' },
  bitrate: { min: 1, max: 100_000, unit: 'kbps' },
  keyFrameInterval: { min: 1, max: 3600, unit: 'frames' },
} as const;

type Field = keyof typeof LIMITS;

/**
 * The field's value when set, undefined when unset (missing, null or 0); a RangeError
 * naming the field for anything else that is not an integer within LIMITS.
 */
function read(r: TranscodeRequest, field: Field): number | undefined {
  const v: unknown = (r as Record<string, unknown>)[field];
  if (v === undefined || v === null || v === 0) return undefined;
  const { min, max, unit } = LIMITS[field];
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new RangeError(`${field} must be an integer from ${min} to ${max} ${unit} (or 0 for unset), got ${String(v)}`);
  }
  return v;
}


/** Validates the request (throws RangeError naming the field) and tells whether it transcodes. */
export function needsTranscoding(r: TranscodeRequest): boolean {
  return transcodeParams(r) !== undefined;
}

/**
 * The transcoder's parameters for a request, or undefined for passthrough. Throws a
 * RangeError naming the first invalid field, even when that field would be ignored,
 * so a typo never goes unnoticed.
 */
export function transcodeParams(r: TranscodeRequest): TranscodeParams | undefined {
  const width = read(r, 'width');
  const height = read(r, 'height');
  const fps = read(r, 'fps');
  const bitrate = read(r, 'bitrate');
  const keyFrameInterval = read(r, 'keyFrameInterval');
  if (height === undefined && fps === undefined && bitrate === undefined && keyFrameInterval === undefined) {
    return undefined; // nothing, or width alone
  }
  const params: TranscodeParams = {};
  if (height !== undefined) {
    params.height = evenSize(height);
    if (width !== undefined) params.width = evenSize(width);
  }
  if (fps !== undefined) params.fps = fps;
  if (bitrate !== undefined) params.bitrateKbps = bitrate;
  if (keyFrameInterval !== undefined) params.keyFrameInterval = keyFrameInterval;
  return params;
}
