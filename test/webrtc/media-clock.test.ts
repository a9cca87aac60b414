import { MediaClock } from '../../src/webrtc/media-clock';

describe('MediaClock', () => {
  let now = 1000;
  const clock = (): MediaClock => { now = 1000; return new MediaClock({ audio: 48000, video: 90000 }, () => now); };
  const NTP_MS = 3_900_000_000_000;

  it('before any sender report, maps RTP time from the arrival of the first packet', () => {
    const c = clock();
    now = 1100;
    expect(c.pts('video', 5000)).toBe(100);
    expect(c.pts('video', 5000 + 90000)).toBe(1100);
    expect(c.pts('audio', 77)).toBe(100);
    expect(c.pts('audio', 77 + 960)).toBe(120);
  });

  it('stays continuous through the first sender report and aligns the other track by NTP', () => {
    const c = clock();
    expect(c.pts('video', 0)).toBe(0);
    expect(c.pts('audio', 1000)).toBe(0);
    // video sender report: rtp 90000 was captured at NTP_MS
    c.senderReport('video', NTP_MS, 90000);
    expect(c.pts('video', 90000)).toBe(1000);
    // audio report says audio rtp 1000+48000 was captured 20 ms after that video frame
    c.senderReport('audio', NTP_MS + 20, 49000);
    expect(c.pts('audio', 49000)).toBe(1020);
    expect(c.pts('audio', 49960)).toBe(1040);
  });

  it('unwraps 32-bit RTP timestamps', () => {
    const c = clock();
    expect(c.pts('video', 2 ** 32 - 900)).toBe(0);
    expect(c.pts('video', 8100)).toBe(100);
  });

  it('never goes backwards within a track', () => {
    const c = clock();
    c.pts('video', 90000);
    expect(c.pts('video', 0)).toBe(0);
    expect(c.pts('video', 90000 - 9000)).toBe(0);
  });
});
