import { recommendedBitrateKbps, rembTargetKbps, UNKNOWN_SIZE_START_KBPS } from '../../src/webrtc/resolution-bitrate';

describe('the bitrate we let a browser send by picture size', () => {
  it.each([
    [640, 360, 1000],
    [640, 480, 1500],
    [854, 480, 1500],
    [1280, 720, 2500],
    [720, 1280, 2500],
    [1920, 1080, 4500],
    [2560, 1440, 9000],
    [3840, 2160, 20000],
  ])('%ix%i: %i kbit/s, as the platforms recommend', (width, height, kbps) => {
    expect(recommendedBitrateKbps(width, height)).toBe(kbps);
  });

  it('starts at the 720p rate before the size is known', () => {
    expect(UNKNOWN_SIZE_START_KBPS).toBe(2500);
    expect(rembTargetKbps({ min: 30, start: 2500, max: 10000 }, true, undefined)).toBe(2500);
  });

  it('follows the size within webrtc_cc_min/max_bitrate', () => {
    const limits = { min: 30, start: 2500, max: 10000 };
    expect(rembTargetKbps(limits, true, { width: 640, height: 480 })).toBe(1500);
    expect(rembTargetKbps(limits, true, { width: 1920, height: 1080 })).toBe(4500);
    expect(rembTargetKbps({ min: 30, start: 2000, max: 2000 }, true, { width: 1920, height: 1080 })).toBe(2000);
    expect(rembTargetKbps({ min: 3000, start: 3000, max: 10000 }, true, { width: 640, height: 480 })).toBe(3000);
  });

  it("keeps the publisher's maxBitrate whatever the size", () => {
    expect(rembTargetKbps({ min: 30, start: 8000, max: 8000 }, false, { width: 640, height: 480 })).toBe(8000);
  });
});
