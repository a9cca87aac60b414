/**
 * The picture an ffmpeg transcoder is asked for, and the size it gives a source
 * picture. Pure; what a REST request means (WCS rules) is src/transponder/transcode-params.ts.
 */

/** What the transcoder is asked to do; every field is optional, absent = keep the source's. */
export interface TranscodeParams {
  /** Only together with height. Even. */
  width?: number;
  /** Even. */
  height?: number;
  fps?: number;
  bitrateKbps?: number;
  /** Frames of the output between keyframes. */
  keyFrameInterval?: number;
}

/** 4:2:0 pictures have even sizes: rounds down to even (but never to 0). */
export function evenSize(n: number): number {
  return Math.max(2, n - (n % 2));
}

/**
 * The output picture size for a source picture: width × height when both are set;
 * with height alone, the width that keeps the source aspect ratio, rounded to the
 * nearest even number; otherwise the source size (rounded down to even, which a
 * cropped source may need).
 */
export function outputSize(params: TranscodeParams, sourceWidth: number, sourceHeight: number): { width: number; height: number } {
  if (!(sourceWidth > 0) || !(sourceHeight > 0)) {
    throw new RangeError(`source size must be positive, got ${sourceWidth}x${sourceHeight}`);
  }
  if (params.height === undefined) return { width: evenSize(sourceWidth), height: evenSize(sourceHeight) };
  if (params.width !== undefined) return { width: params.width, height: params.height };
  const width = Math.max(2, 2 * Math.round((sourceWidth * params.height) / sourceHeight / 2));
  return { width, height: params.height };
}
