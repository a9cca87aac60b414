import { AudioMixer } from '../../src/media/audio-mixer';

const frame = (...v: number[]): Int16Array => Int16Array.from(v);

describe('AudioMixer', () => {
  test('passes the microphone through untouched when nothing is set', () => {
    const m = new AudioMixer();
    expect([...m.mix(frame(1, -2, 300, -400))]).toEqual([1, -2, 300, -400]);
    expect(m.muted).toBe(false);
    expect(m.soundEnabled).toBe(false);
  });

  test('mute gives all zeros; unmute brings the microphone back', () => {
    const m = new AudioMixer();
    m.mute();
    expect(m.muted).toBe(true);
    expect([...m.mix(frame(1000, -1000, 5, 7))]).toEqual([0, 0, 0, 0]);
    m.unmute();
    expect([...m.mix(frame(1000, -1000, 5, 7))]).toEqual([1000, -1000, 5, 7]);
  });

  test('an inserted sound is added to the microphone, sample by sample', () => {
    const m = new AudioMixer();
    m.soundOn(frame(10, 20, 30, 40, 50, 60), false);
    expect(m.soundEnabled).toBe(true);
    expect([...m.mix(frame(1, 1, 1, 1))]).toEqual([11, 21, 31, 41]);
    expect([...m.mix(frame(1, 1, 1, 1))]).toEqual([51, 61, 1, 1]);
  });

  test('a non-looping sound ends and flips soundEnabled off', () => {
    const m = new AudioMixer();
    m.soundOn(frame(10, 20, 30, 40), false);
    m.mix(frame(0, 0));
    expect(m.soundEnabled).toBe(true);
    m.mix(frame(0, 0)); // exactly the end
    expect(m.soundEnabled).toBe(false);
    expect([...m.mix(frame(5, 5))]).toEqual([5, 5]);
  });

  test('a looping sound wraps around and keeps playing until soundOff', () => {
    const m = new AudioMixer();
    m.soundOn(frame(1, 2, 3, 4), true);
    expect([...m.mix(frame(0, 0, 0, 0, 0, 0))]).toEqual([1, 2, 3, 4, 1, 2]);
    expect([...m.mix(frame(0, 0, 0, 0))]).toEqual([3, 4, 1, 2]);
    expect(m.soundEnabled).toBe(true);
    m.soundOff();
    expect(m.soundEnabled).toBe(false);
    expect([...m.mix(frame(0, 0))]).toEqual([0, 0]);
  });

  test('mixing saturates at the s16 limits instead of wrapping', () => {
    const m = new AudioMixer();
    m.soundOn(frame(30000, -30000, 100, -100), true);
    expect([...m.mix(frame(30000, -30000, 32767, -32768))]).toEqual([32767, -32768, 32767, -32768]);
  });

  test('mute silences the microphone but an inserted sound still plays', () => {
    const m = new AudioMixer();
    m.mute();
    m.soundOn(frame(7, 8), true);
    expect([...m.mix(frame(1000, 1000, 1000, 1000))]).toEqual([7, 8, 7, 8]);
  });

  test('sound_on again restarts from the beginning with the new sound', () => {
    const m = new AudioMixer();
    m.soundOn(frame(1, 1, 2, 2, 3, 3), false);
    m.mix(frame(0, 0));
    m.soundOn(frame(9, 9, 8, 8), false);
    expect([...m.mix(frame(0, 0, 0, 0))]).toEqual([9, 9, 8, 8]);
  });

  test('an empty sound plays nothing; an odd sample count keeps left and right in place', () => {
    const m = new AudioMixer();
    m.soundOn(new Int16Array(0), true);
    expect(m.soundEnabled).toBe(false);
    m.soundOn(frame(1, 2, 3), true);
    expect([...m.mix(frame(0, 0, 0, 0))]).toEqual([1, 2, 1, 2]);
  });
});
