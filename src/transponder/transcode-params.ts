/**
 * What WCS /push/startup's optional `width, height, fps, bitrate, keyFrameInterval`
 * mean for the video of one push: ONE zod schema of those fields (the REST body
 * composes it; the manager checks every request with it, whatever path it came by),
 * and the transcoder's parameters they give. No ffmpeg here.
 *
 * WCS rules, as its users rely on them:
 * - the video is transcoded exactly when height, fps, bitrate or keyFrameInterval is
 *   set, or width together with height; otherwise it passes through untouched;
 * - width alone changes nothing: it is ignored, also when another field makes the
 *   stream transcode (the picture then keeps the source size);
 * - with height but no width, the width follows the source aspect ratio;
 * - 0, null and a missing field all mean "not set".
 */
import { z } from 'zod';
import { evenSize, type TranscodeParams } from '../ffmpeg/transcode-output';

export type { TranscodeParams };

/**
 * Bounds of what libx264 encodes and RTMP ingests take, from H.264 Annex A:
 * - a side up to 8192 pixels and a picture of at most 139,264 macroblocks: level 6.2,
 *   the highest (MaxFS), whose largest usual picture is 8192x4320 (8K, also portrait);
 *   YouTube takes 7680x4320, so a 4096 bound would refuse real requests;
 * - 120 fps: level 6.2 allows 8K at 120; no browser camera sends more;
 * - 100 Mbit/s: far below level 6.2's MaxBR (800 Mbit/s High), above any ingest's
 *   recommendation (YouTube 8K60: 80–240 Mbit/s is for HDR uploads, not live RTMP);
 * - a keyframe every 1..3600 frames: 1 is all-intra; 3600 is a minute at 60 fps
 *   (ingests want one every 2–4 s, but that is the caller's choice, as in WCS).
 */
export const TRANSCODE_LIMITS = {
  width: { min: 2, max: 8192, unit: 'pixels' },
  height: { min: 2, max: 8192, unit: 'pixels' },
  fps: { min: 1, max: 120, unit: 'frames per second' },
  bitrate: { min: 1, max: 100_000, unit: 'kbps' },
  keyFrameInterval: { min: 1, max: 3600, unit: 'frames' },
} as const;

/** H.264 level 6.2 MaxFS: the most 16x16 macroblocks in one picture. */
export const MAX_PICTURE_MACROBLOCKS = 139_264;

export type TranscodeField = keyof typeof TRANSCODE_LIMITS;

/** A transcode field that is wrong; `field` is the request field at fault. */
export class TranscodeParamsError extends RangeError {
  override readonly name = 'TranscodeParamsError';

  constructor(
    readonly field: TranscodeField,
    message: string,
  ) {
    super(message);
  }
}

function rule(field: TranscodeField): string {
  const { min, max, unit } = TRANSCODE_LIMITS[field];
  return `${field} must be an integer from ${min} to ${max} ${unit} (or 0 for unset)`;
}

/** One field: a number, or 0/null/missing for unset (→ undefined); the value is never echoed. */
function fieldSchema(field: TranscodeField) {
  const { min, max } = TRANSCODE_LIMITS[field];
  return z
    .number()
    .nullish()
    .superRefine((v, ctx) => {
      if (v === undefined || v === null || v === 0) return;
      if (!Number.isInteger(v) || v < min || v > max) ctx.addIssue({ code: 'custom', message: rule(field) });
    })
    .transform((v) => (v === null || v === 0 ? undefined : v));
}

/** The five fields, to compose into a request body's z.object(). */
export const TRANSCODE_REQUEST_FIELDS = {
  width: fieldSchema('width'),
  height: fieldSchema('height'),
  fps: fieldSchema('fps'),
  bitrate: fieldSchema('bitrate'),
  keyFrameInterval: fieldSchema('keyFrameInterval'),
};

/** What a caller may ask (the schema's input: 0 and null mean unset). */
export type TranscodeRequest = z.input<z.ZodObject<typeof TRANSCODE_REQUEST_FIELDS>>;
type ParsedRequest = z.output<z.ZodObject<typeof TRANSCODE_REQUEST_FIELDS>>;

const macroblocks = (pixels: number): number => Math.ceil(evenSize(pixels) / 16);

/**
 * The rule between fields: width × height fits one H.264 picture. Composing schemas
 * call it from their own superRefine (a refinement does not travel with the fields).
 */
export function checkPictureSize(r: { width?: number; height?: number }, ctx: z.RefinementCtx): void {
  if (r.width === undefined || r.height === undefined) return;
  if (macroblocks(r.width) * macroblocks(r.height) > MAX_PICTURE_MACROBLOCKS) {
    ctx.addIssue({
      code: 'custom',
      path: ['width'],
      message: `width x height must fit an H.264 picture of at most ${MAX_PICTURE_MACROBLOCKS} macroblocks (level 6.2, e.g. 8192x4320)`,
    });
  }
}

export const TranscodeRequestSchema = z.object(TRANSCODE_REQUEST_FIELDS).superRefine(checkPictureSize);

/** Validates `r`; throws TranscodeParamsError for the first wrong field, in field order. */
function parse(r: TranscodeRequest): ParsedRequest {
  const result = TranscodeRequestSchema.safeParse(r);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const field = issue.path[0] as TranscodeField;
  // Our own messages (range, picture size) as they are; a wrong type gets the rule.
  throw new TranscodeParamsError(field, issue.code === 'custom' ? issue.message : rule(field));
}

/** Validates the request (throws TranscodeParamsError) and tells whether it transcodes. */
export function needsTranscoding(r: TranscodeRequest): boolean {
  return transcodeParams(r) !== undefined;
}

/**
 * The transcoder's parameters for a request, or undefined for passthrough. Throws a
 * TranscodeParamsError naming the first invalid field, even when that field would be
 * ignored, so a typo never goes unnoticed.
 */
export function transcodeParams(r: TranscodeRequest): TranscodeParams | undefined {
  const { width, height, fps, bitrate, keyFrameInterval } = parse(r);
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

/**
 * What a source needs: the request's parameters, or, for a source that does not send
 * H.264 (VP8/VP9), transcoding with the defaults (same size, a keyframe every 2 s, a
 * bitrate from the picture size) when the request sets none. RTMP carries H.264 only.
 */
export function transcodeForSource(params: TranscodeParams | undefined, sourceCodec: string | undefined): TranscodeParams | undefined {
  if (params !== undefined) return params;
  return sourceCodec !== undefined && sourceCodec !== 'h264' ? {} : undefined;
}
