import { VideoRateReporter } from '../../src/signaling/video-rate-reporter';

describe('VideoRateReporter (inboundVideoRate once a second)', () => {
  let reporter: VideoRateReporter | undefined;
  afterEach(() => reporter?.close());

  it('reports each watched stream\'s bit rate since the last report, and nothing for a stream without video', () => {
    let now = 0;
    const sent: Array<[string, number]> = [];
    reporter = new VideoRateReporter({ send: (id, rate) => sent.push([id, rate]), now: () => now });
    let a = 1000;
    reporter.watch('a', () => a);
    reporter.watch('audio-only', () => undefined);
    now = 1000; a += 125_000; // 1 Mbit in 1 s
    reporter.tick();
    now = 1500; a += 31_250; // 250 kbit in 0.5 s
    reporter.tick();
    expect(sent).toEqual([['a', 1_000_000], ['a', 500_000]]);
  });

  it('stops telling a stream once unwatched, and runs its timer only while it watches one', () => {
    jest.useFakeTimers();
    try {
      const sent: string[] = [];
      reporter = new VideoRateReporter({ send: (id) => sent.push(id), intervalMs: 1000 });
      expect(jest.getTimerCount()).toBe(0);
      reporter.watch('a', () => 0);
      expect(jest.getTimerCount()).toBe(1);
      jest.advanceTimersByTime(3000);
      expect(sent).toEqual(['a', 'a', 'a']);
      reporter.unwatch('a');
      expect(jest.getTimerCount()).toBe(0);
      jest.advanceTimersByTime(3000);
      expect(sent).toHaveLength(3);
      reporter.close();
      reporter.watch('b', () => 0);
      expect(jest.getTimerCount()).toBe(0);
      expect(reporter.size).toBe(0);
    } finally {
      jest.useRealTimers();
    }
  });
});
