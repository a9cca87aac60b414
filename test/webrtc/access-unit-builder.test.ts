import { AccessUnitBuilder } from '../../src/webrtc/access-unit-builder';

// Captured from Chromium 156 (OpenH264) publishing 1280x720 in the e2e test: Constrained Baseline 3.2.
const SPS_720P = Buffer.from('6742c0208c8d402802dd3506060607844235', 'hex');
// ffmpeg -f lavfi -i testsrc=size=640x360 -pix_fmt yuv420p -c:v libx264 -profile:v high (ffprobe: 640x360):
// High 3.0 with emulation prevention bytes and frame cropping (368 → 360 lines).
const SPS_360P = Buffer.from('6764001eacd940a02ff97011000003000100000300320f162d96', 'hex');
const PPS = Buffer.from('68ce3c80', 'hex');
const IDR = Buffer.from('65888400ff', 'hex'); // first_mb_in_slice 0
const IDR_SECOND_SLICE = Buffer.from('65 0a 8400ff'.replace(/ /g, ''), 'hex'); // first_mb_in_slice ue '00001010' = 9
const P = Buffer.from('419a2233', 'hex');

describe('access units', () => {
  it('marks IDR access units as keyframes and remembers the size', () => {
    const b = new AccessUnitBuilder();
    expect(b.build([SPS_360P, PPS, IDR], 40)).toEqual({ frame: { pts: 40, keyframe: true, nalUnits: [SPS_360P, PPS, IDR] }, selfContained: true });
    expect(b.size).toEqual({ width: 640, height: 360 });
    expect(b.build([P], 80)).toEqual({ frame: { pts: 80, keyframe: false, nalUnits: [P] }, selfContained: false });
  });

  it('repeats the last SPS and PPS before a keyframe that comes without them, which then does not stand alone', () => {
    const b = new AccessUnitBuilder();
    b.build([SPS_360P, PPS, IDR], 0);
    expect(b.build([IDR], 2000)).toEqual({ frame: { pts: 2000, keyframe: true, nalUnits: [SPS_360P, PPS, IDR] }, selfContained: false });
  });

  it('a keyframe whose first slice starts after macroblock 0 lost its head', () => {
    const b = new AccessUnitBuilder();
    expect(b.build([SPS_360P, PPS, IDR_SECOND_SLICE], 0)?.selfContained).toBe(false);
    expect(b.build([SPS_360P, PPS, IDR, IDR_SECOND_SLICE], 40)?.selfContained).toBe(true);
  });

  it('keeps the frame when the SPS is cut short, and the size it knew', () => {
    const b = new AccessUnitBuilder();
    b.build([SPS_720P, PPS, IDR], 0);
    expect(b.size).toEqual({ width: 1280, height: 720 });
    expect(b.build([SPS_720P.subarray(0, 6), PPS, IDR], 40)?.frame.keyframe).toBe(true);
    expect(b.size).toEqual({ width: 1280, height: 720 });
  });
});
