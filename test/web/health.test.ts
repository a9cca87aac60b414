/**
 * web/health.js, the very file the go-live page loads: presets, URL joining, the keyframe
 * spacing from a cumulative count, and the warnings YouTube/Facebook would give.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const H = require('../../web/health.js') as {
  PRESETS: Record<string, { servers: string[] }>;
  destinationUrl(server: string, key: string): string;
  tierOf(height: number): string;
  bitrateRange(platform: string, height: number): [number, number] | undefined;
  KeyframeTracker: new (windowMs?: number) => { add(atMs: number, keyframes: number): void; interval(): { seconds: number; stalled: boolean } | undefined };
  assess(d: Record<string, unknown>): { state: string; tone: string; warnings: string[] };
  BITRATE_SAMPLES: number;
};

test('the presets carry the platforms\' ingest servers', () => {
  expect(H.PRESETS.youtube!.servers).toEqual(['rtmp://a.rtmp.youtube.com/live2', 'rtmps://a.rtmps.youtube.com:443/live2']);
  expect(H.PRESETS.facebook!.servers).toEqual(['rtmps://live-api-s.facebook.com:443/rtmp/']);
  expect(H.PRESETS.custom!.servers).toEqual([]);
});

test('server and key are joined by exactly one slash; no key keeps a custom URL as typed', () => {
  expect(H.destinationUrl('rtmps://live-api-s.facebook.com:443/rtmp/', 'FB-1')).toBe('rtmps://live-api-s.facebook.com:443/rtmp/FB-1');
  expect(H.destinationUrl('rtmp://a.rtmp.youtube.com/live2', ' yt-key ')).toBe('rtmp://a.rtmp.youtube.com/live2/yt-key');
  expect(H.destinationUrl('rtmp://h/app/k', '')).toBe('rtmp://h/app/k');
});

test('resolution tiers and ranges', () => {
  expect([1080, 720, 480, 360, 0].map((h) => H.tierOf(h))).toEqual(['1080p', '720p', '480p', '360p', '']);
  expect(H.bitrateRange('youtube', 720)).toEqual([1500, 4000]);
  expect(H.bitrateRange('custom', 720)).toBeUndefined();
});

describe('KeyframeTracker', () => {
  test('averages the spacing over the window', () => {
    const k = new H.KeyframeTracker(20_000);
    for (let t = 0, n = 0; t <= 10_000; t += 2000, n += 1) k.add(t, n);
    expect(k.interval()).toEqual({ seconds: 2, stalled: false });
  });
  test('no keyframe for longer than 4 s is reported as stalled, with how long', () => {
    const k = new H.KeyframeTracker(20_000);
    k.add(0, 5);
    k.add(2000, 6);
    for (let t = 4000; t <= 9000; t += 1000) k.add(t, 6);
    expect(k.interval()).toEqual({ seconds: 7, stalled: true });
  });
  test('unknown until two samples, and a smaller count (a new publisher) starts over', () => {
    const k = new H.KeyframeTracker();
    expect(k.interval()).toBeUndefined();
    k.add(0, 100);
    k.add(1000, 101);
    k.add(2000, 3);
    expect(k.interval()).toBeUndefined();
  });
});

describe('assess', () => {
  const live = { platform: 'youtube', status: 'PUBLISHING', height: 720, hasAudio: true, audioKbps: 32, keyframes: { seconds: 2, stalled: false } };
  const steady = (kbps: number): number[] => Array.from({ length: H.BITRATE_SAMPLES }, () => kbps);

  test('a healthy YouTube relay: live, no warning', () => {
    expect(H.assess({ ...live, bitrates: steady(2500) })).toEqual({ state: 'Live on YouTube', tone: 'ok', warnings: [] });
  });
  test('keyframes more than 4 s apart, bitrate out of range, no audio: one warning each', () => {
    const r = H.assess({ ...live, keyframes: { seconds: 6, stalled: false }, bitrates: steady(800), hasAudio: false });
    expect(r.tone).toBe('warn');
    expect(r.warnings).toHaveLength(3);
    expect(r.warnings[0]).toMatch(/^Keyframes every 6\.0 s/);
    expect(r.warnings[1]).toMatch(/^Bitrate 800 kbit\/s is below the 1500–4000/);
    expect(r.warnings[2]).toMatch(/^No audio/);
    expect(H.assess({ ...live, bitrates: steady(9000) }).warnings[0]).toMatch(/above/);
  });
  test('the bitrate is judged only over enough samples; custom destinations get no platform checks', () => {
    expect(H.assess({ ...live, bitrates: [100] }).warnings).toEqual([]);
    expect(H.assess({ ...live, platform: 'custom', bitrates: steady(100), keyframes: { seconds: 9, stalled: true } }).warnings).toEqual([]);
  });
  test('states in words', () => {
    expect(H.assess({ platform: 'facebook', status: 'CONNECTING' }).state).toBe('Connecting to Facebook…');
    expect(H.assess({ platform: 'twitch', status: 'RESTORING', restoreAttempts: 2 }).state).toBe('Connection lost, reconnecting (attempt 2)…');
    expect(H.assess({ platform: 'youtube', status: 'FAILED', reason: 'refused' })).toMatchObject({ state: 'Stopped: refused', tone: 'bad' });
    expect(H.assess({ platform: 'youtube', status: 'WAITING' }).state).toBe('Goes live with the stream');
  });
});
