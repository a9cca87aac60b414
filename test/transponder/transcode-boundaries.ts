/**
 * The bounds of /push/startup's transcode fields, written down here from H.264 Annex A
 * (level 6.2) and the WCS rules, not read from the code: one table that drives the unit
 * test (test/transponder/transcode-params.test.ts) and the REST routes
 * (test/rest/push-routes.test.ts), so the two can never disagree again.
 */
export interface TranscodeBoundary {
  name: string;
  request: Record<string, unknown>;
  /** undefined: accepted; otherwise the field a refusal names. */
  refusedField?: string;
}

const ok = (name: string, request: Record<string, unknown>): TranscodeBoundary => ({ name, request });
const bad = (name: string, request: Record<string, unknown>, refusedField: string): TranscodeBoundary => ({ name, request, refusedField });

export const TRANSCODE_BOUNDARIES: TranscodeBoundary[] = [
  ok('width 2 (the smallest 4:2:0 picture) with height', { width: 2, height: 2 }),
  bad('width 1', { width: 1, height: 240 }, 'width'),
  ok('width 8192 (level 6.2) with height 4320', { width: 8192, height: 4320 }),
  ok('width 7680 (8K UHD, what YouTube takes)', { width: 7680, height: 4320 }),
  bad('width 8193', { width: 8193, height: 240 }, 'width'),
  bad('width 8193 alone (ignored, but still checked)', { width: 8193 }, 'width'),
  ok('height 8192 (portrait 8K) with width 4320', { width: 4320, height: 8192 }),
  ok('height 8192 alone', { height: 8192 }),
  bad('height 8193', { height: 8193 }, 'height'),
  bad('height 1', { height: 1 }, 'height'),
  ok('8192x4352: exactly 139264 macroblocks', { width: 8192, height: 4352 }),
  bad('8192x4368: one row of macroblocks more than level 6.2 holds', { width: 8192, height: 4368 }, 'width'),
  bad('8192x8192', { width: 8192, height: 8192 }, 'width'),
  ok('fps 1', { fps: 1 }),
  ok('fps 120', { fps: 120 }),
  bad('fps 121', { fps: 121 }, 'fps'),
  bad('fps 29.97 (not an integer)', { fps: 29.97 }, 'fps'),
  ok('bitrate 1 kbps', { bitrate: 1 }),
  ok('bitrate 100000 kbps', { bitrate: 100_000 }),
  bad('bitrate 100001 kbps', { bitrate: 100_001 }, 'bitrate'),
  bad('bitrate -300', { bitrate: -300 }, 'bitrate'),
  ok('keyFrameInterval 1 (every frame a keyframe)', { keyFrameInterval: 1 }),
  ok('keyFrameInterval 3600', { keyFrameInterval: 3600 }),
  bad('keyFrameInterval 3601', { keyFrameInterval: 3601 }, 'keyFrameInterval'),
  bad('keyFrameInterval 0.5', { keyFrameInterval: 0.5 }, 'keyFrameInterval'),
  ok('every field 0 (unset)', { width: 0, height: 0, fps: 0, bitrate: 0, keyFrameInterval: 0 }),
  ok('every field null (unset)', { width: null, height: null, fps: null, bitrate: null, keyFrameInterval: null }),
  bad('height as a string', { height: '240' }, 'height'),
];
