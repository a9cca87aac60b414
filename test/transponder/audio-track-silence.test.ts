/**
 * A stream without audio still gets an AAC track: silence, paced by the track's clock.
 * The clock here is a fake, so the amount of silence follows from the time that passed,
 * not from how fast this machine runs.
 */
import { AudioTrack } from '../../src/transponder/audio-track';
import { FakeClock } from '../helpers/fake-clock';

const SAMPLES_PER_MS = 48;
const SILENCE_FRAME = 960; // 20 ms, what the track writes at a time

let track: AudioTrack | undefined;
afterEach(async () => {
  await track?.close('test over');
  track = undefined;
});

test('silence follows the clock: none before it moves, every whole 20 ms frame after, none after close', async () => {
  const clock = new FakeClock();
  track = new AudioTrack({ silentIfNoAudio: true, clock });
  track.start(0);
  expect(track.toJSON().samplesEncoded).toBe(0);
  clock.advance(1000);
  const after1s = track.toJSON().samplesEncoded;
  expect(after1s).toBe(Math.floor((1000 * SAMPLES_PER_MS) / SILENCE_FRAME) * SILENCE_FRAME);
  clock.advance(510);
  expect(track.toJSON().samplesEncoded).toBe(Math.floor((1510 * SAMPLES_PER_MS) / SILENCE_FRAME) * SILENCE_FRAME);
  await track.close('done');
  expect(clock.active).toBe(0);
  const atClose = track.toJSON().samplesEncoded;
  clock.advance(1000);
  expect(track.toJSON().samplesEncoded).toBe(atClose);
});

test('without silentIfNoAudio, start() arms no timer', async () => {
  const clock = new FakeClock();
  track = new AudioTrack({ silentIfNoAudio: false, clock });
  track.start(0);
  clock.advance(1000);
  expect(clock.timeoutsSet).toBe(0);
  expect(track.toJSON().samplesEncoded).toBe(0);
});
