import { FRAME_WINDOW_MS, StreamMetadataMeter } from '../../src/transponder/stream-metadata';

/** Feeds `n` frames at `fps` from pts `from`, `bytes` each. */
function feed(m: StreamMetadataMeter, fps: number, n: number, bytes = 1000, from = 5000): number {
  for (let i = 0; i < n; i++) m.videoFrame(Math.round(from + (i * 1000) / fps), bytes);
  return from + (n * 1000) / fps;
}

describe('StreamMetadataMeter', () => {
  it('says the measured frame rate of a 20 fps camera, whatever its SPS says', () => {
    const m = new StreamMetadataMeter({ audioBitrateKbps: 128 });
    feed(m, 20, 60);
    m.setFormat({ width: 640, height: 480, spsFrameRate: 30 });
    expect(m.build()).toEqual({
      width: 640,
      height: 480,
      videodatarate: 160, // 1000 bytes × 20 per second
      framerate: 20,
      videocodecid: 7,
      audiodatarate: 128,
      audiosamplerate: 48000,
      audiosamplesize: 16,
      stereo: true,
      audiocodecid: 10,
      encoder: 'rtmp-transponder',
    });
  });

  it('rounds to a common rate within 3 %, else to 1/100', () => {
    const m = new StreamMetadataMeter({ audioBitrateKbps: 128 });
    // RTP-derived capture times jitter by a ms or two around 29.97 fps
    for (let i = 0; i < 40; i++) m.videoFrame(1000 + i * 33.367 + (i % 3 === 0 ? 1.5 : -0.7), 500);
    expect(m.measuredFrameRate()).toBe(30);
    const odd = new StreamMetadataMeter({ audioBitrateKbps: 128 });
    feed(odd, 17, 30);
    expect(odd.measuredFrameRate()).toBeCloseTo(17, 1);
    expect(odd.measuredFrameRate()).not.toBe(15);
  });

  it('follows a rate change once the window has passed', () => {
    const m = new StreamMetadataMeter({ audioBitrateKbps: 128 });
    const end = feed(m, 30, 90);
    feed(m, 15, 40, 1000, end);
    expect(m.measuredFrameRate()).toBe(15);
    expect(FRAME_WINDOW_MS).toBeLessThan((40 * 1000) / 15);
  });

  it('with fewer than 3 frames: the SPS rate, else 30, and an unknown (0) data rate', () => {
    const m = new StreamMetadataMeter({ audioBitrateKbps: 96 });
    m.videoFrame(1000, 40_000);
    m.setFormat({ width: 1280, height: 720, spsFrameRate: 25 });
    expect(m.build()).toMatchObject({ framerate: 25, videodatarate: 0, audiodatarate: 96 });
    m.setFormat({ width: 1280, height: 720 });
    expect(m.build()).toMatchObject({ framerate: 30, videodatarate: 0 });
    m.videoFrame(1033, 2000);
    m.videoFrame(1067, 2000);
    expect(m.build()).toMatchObject({ framerate: 30 });
  });

  it('repeated or reordered timestamps do not count as frames', () => {
    const m = new StreamMetadataMeter({ audioBitrateKbps: 128 });
    for (let i = 0; i < 30; i++) {
      m.videoFrame(1000 + i * 50, 100);
      m.videoFrame(1000 + i * 50, 100);
      m.videoFrame(990 + i * 50, 100);
    }
    expect(m.measuredFrameRate()).toBe(20);
  });

  it('a transcoded push says what the transcoder makes', () => {
    const m = new StreamMetadataMeter({ audioBitrateKbps: 128, transcode: { fps: 25, bitrateKbps: 2500 } });
    feed(m, 30, 60);
    m.setFormat({ width: 1280, height: 720 });
    expect(m.build()).toMatchObject({ framerate: 25, videodatarate: 2500 });
  });

  it('audio-only metadata until the picture is known', () => {
    const m = new StreamMetadataMeter({ audioBitrateKbps: 128 });
    expect(m.build()).toEqual({ audiodatarate: 128, audiosamplerate: 48000, audiosamplesize: 16, stereo: true, audiocodecid: 10, encoder: 'rtmp-transponder' });
  });
});
