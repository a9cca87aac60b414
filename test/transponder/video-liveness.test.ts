import { VIDEO_GONE_MS, VideoLiveness } from '../../src/transponder/video-liveness';
import { FakeClock } from '../helpers/fake-clock';

describe('VideoLiveness', () => {
  it('promises nothing before the first frame', () => {
    expect(new VideoLiveness(new FakeClock()).willReach(0)).toBe(false);
  });

  it('reaches any time while frames come, and times already handed on after they stop', () => {
    const clock = new FakeClock();
    const v = new VideoLiveness(clock);
    v.frameIn(1000);
    expect(v.willReach(5000)).toBe(true);
    clock.advance(VIDEO_GONE_MS);
    expect(v.willReach(5000)).toBe(true);
    clock.advance(1);
    expect(v.willReach(5000)).toBe(false);
    expect(v.willReach(1000)).toBe(true); // handed to the transcoder: its output is certain
  });

  it('promises nothing once stopped', () => {
    const v = new VideoLiveness(new FakeClock());
    v.frameIn(1000);
    v.stop();
    expect(v.willReach(900)).toBe(false);
  });
});
