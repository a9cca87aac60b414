import { MediaClock } from '../../src/webrtc/media-clock';
import { seededRandom } from '../helpers/seeded-random';

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
    // audio report says audio rtp 1000+48000 was captured 20 ms after that video frame;
    // the audio packet after it comes 1 s of media after the last one, at 5 % room for 50 ms
    c.senderReport('audio', NTP_MS + 20, 49000);
    expect(c.pts('audio', 49000)).toBe(1020);
    expect(c.pts('audio', 49960)).toBe(1040);
  });

  /** 30 fps video and 20 ms audio from `fromMs` for `ms`, each packet arriving on time: each track's pts minus its media time */
  function both(c: MediaClock, fromMs: number, ms: number): Record<'audio' | 'video', number[]> {
    const packets: { t: number; kind: 'audio' | 'video'; rtp: number }[] = [];
    for (let t = fromMs; t < fromMs + ms; t += 20) packets.push({ t, kind: 'audio', rtp: t * 48 });
    for (let frame = Math.ceil((fromMs * 30) / 1000); (frame * 1000) / 30 < fromMs + ms; frame++) packets.push({ t: (frame * 1000) / 30, kind: 'video', rtp: frame * 3000 });
    packets.sort((x, y) => x.t - y.t);
    const lead = { audio: [] as number[], video: [] as number[] };
    for (const p of packets) {
      now = 1000 + p.t;
      lead[p.kind].push(c.pts(p.kind, p.rtp) - p.t);
    }
    return lead;
  }

  it.each([300, -300])('moves the second track onto the first one\'s timeline in small steps, not a jump of %i ms', (disagreement) => {
    // A sender whose pump ran late at the start: by their arrival the tracks are
    // `disagreement` ms apart from what its reports say.
    const c = clock();
    both(c, 0, 1000);
    c.senderReport('video', NTP_MS + 1000, 1000 * 90);
    c.senderReport('audio', NTP_MS + 1000 + disagreement, 1000 * 48);
    const lead = both(c, 1000, 10_000);
    // pts minus media time moves by at most 5 % of a packet's duration (and rounding) per packet
    for (const step of steps(lead.video)) expect(Math.abs(step)).toBeLessThanOrEqual((1000 / 30) * 0.05 + 1);
    for (const step of steps(lead.audio)) expect(Math.abs(step)).toBeLessThanOrEqual(20 * 0.05 + 1);
    expect(Math.abs(lead.audio[0]! - lead.video[0]!)).toBeLessThanOrEqual(2);
    // 300 ms at 5 % take 6 s of media: by the end audio is where its reports put it
    expect(Math.abs(lead.audio.at(-1)! - lead.video.at(-1)! - disagreement)).toBeLessThanOrEqual(2);
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

  /** what a report may move the clock by (SLEW_MS), and frame spacing rounds to whole ms */
  const SLEW_MS = 2;
  /** 30 fps video for `seconds`, a sender report every 30 frames; `reportNtp` says what each report claims. */
  function run(c: MediaClock, seconds: number, reportNtp: (frame: number) => number): number[] {
    const pts: number[] = [];
    for (let frame = 0; frame < seconds * 30; frame++) {
      if (frame > 0 && frame % 30 === 0) c.senderReport('video', reportNtp(frame), frame * 3000);
      pts.push(c.pts('video', frame * 3000));
    }
    return pts;
  }
  const steps = (pts: number[]): number[] => pts.slice(1).map((p, i) => p - pts[i]!);

  it('later sender reports that pair RTP time with a late send time never make the timestamps jump', () => {
    // werift's RTCRtpSender (the load publisher) reports the wall clock when the frame left,
    // which a busy sender reaches up to a second late.
    const lateBy = seededRandom(964);
    const c = clock();
    const pts = run(c, 60, (frame) => NTP_MS + (frame * 1000) / 30 + lateBy() * 964);
    for (const step of steps(pts)) {
      expect(step).toBeGreaterThanOrEqual(33 - SLEW_MS);
      expect(step).toBeLessThanOrEqual(34 + SLEW_MS);
    }
  });

  it('follows a slow drift of the sender clock in small steps', () => {
    // the sender's wall clock runs 1 ms per second ahead of its RTP clock
    const c = clock();
    const pts = run(c, 120, (frame) => NTP_MS + (frame * 1000) / 30 + frame / 30);
    for (const step of steps(pts)) expect(Math.abs(step - 1000 / 30)).toBeLessThanOrEqual(SLEW_MS + 1);
    // the first report anchors at frame 30; 119 s later the reports are 119 ms further on, and so is the clock
    const drift = pts[pts.length - 1]! - pts[30]! - ((pts.length - 1 - 30) * 1000) / 30;
    expect(drift).toBeGreaterThan(115);
    expect(drift).toBeLessThan(121);
  });
});
