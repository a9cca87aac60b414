import { randomBytes } from 'node:crypto';
import { AccessUnitBuilder } from '../../src/webrtc/access-unit-builder';
import { parseSps, splitAnnexB } from '../../src/webrtc/h264-nal';

// Captured from Chromium 156 (OpenH264) publishing 1280x720 in the e2e test: Constrained Baseline 3.2.
const SPS_720P = Buffer.from('6742c0208c8d402802dd3506060607844235', 'hex');
// ffmpeg -f lavfi -i testsrc=size=640x360 -pix_fmt yuv420p -c:v libx264 -profile:v high (ffprobe: 640x360):
// High 3.0 with emulation prevention bytes and frame cropping (368 → 360 lines).
const SPS_360P = Buffer.from('6764001eacd940a02ff97011000003000100000300320f162d96', 'hex');
const PPS = Buffer.from('68ce3c80', 'hex');
const IDR = Buffer.from('65888400ff', 'hex');
const P = Buffer.from('419a2233', 'hex');

describe('H.264 NAL units', () => {
  it('splits Annex B with 3- and 4-byte start codes into NAL units without them', () => {
    const data = Buffer.concat([Buffer.from([0, 0, 0, 1]), SPS_360P, Buffer.from([0, 0, 1]), PPS, Buffer.from([0, 0, 0, 1]), IDR]);
    expect(splitAnnexB(data)).toEqual([SPS_360P, PPS, IDR]);
  });

  it('reads the picture size from an SPS, cropping included', () => {
    expect(parseSps(SPS_360P)).toEqual({ profileIdc: 100, levelIdc: 30, width: 640, height: 360 });
    expect(parseSps(SPS_720P)).toEqual({ profileIdc: 66, levelIdc: 32, width: 1280, height: 720 });
  });

  it('survives garbage: random bytes never throw', () => {
    for (let i = 0; i < 2000; i++) {
      const bytes = randomBytes(1 + (i % 40));
      expect(() => splitAnnexB(bytes)).not.toThrow();
      bytes[0] = 0x67;
      expect(() => parseSps(bytes)).not.toThrow();
    }
  });
});

describe('access units', () => {
  const annexB = (...nals: Buffer[]): Buffer => Buffer.concat(nals.flatMap((n) => [Buffer.from([0, 0, 0, 1]), n]));

  it('marks IDR access units as keyframes and remembers the size', () => {
    const b = new AccessUnitBuilder();
    const f = b.build(annexB(SPS_360P, PPS, IDR), 40)!;
    expect(f).toEqual({ pts: 40, keyframe: true, nalUnits: [SPS_360P, PPS, IDR] });
    expect(b.size).toEqual({ width: 640, height: 360 });
    expect(b.build(annexB(P), 80)).toEqual({ pts: 80, keyframe: false, nalUnits: [P] });
  });

  it('repeats the last SPS and PPS before a keyframe that comes without them', () => {
    const b = new AccessUnitBuilder();
    b.build(annexB(SPS_360P, PPS, IDR), 0);
    expect(b.build(annexB(IDR), 2000)!.nalUnits).toEqual([SPS_360P, PPS, IDR]);
  });

  it('keeps the frame when the SPS is cut short, and the size it knew', () => {
    const b = new AccessUnitBuilder();
    b.build(annexB(SPS_720P, PPS, IDR), 0);
    expect(b.build(annexB(SPS_720P.subarray(0, 6), PPS, IDR), 40)?.keyframe).toBe(true);
    expect(b.size).toEqual({ width: 1280, height: 720 });
  });
});
