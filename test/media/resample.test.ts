import { resample } from '../../src/media/resample';
import { rms, toneAmplitude, zeroCrossingFrequency } from './audio-analysis';

function tone(freq: number, rate: number, seconds: number, amplitude = 0.5): Float32Array {
  const n = Math.round(rate * seconds);
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = amplitude * Math.sin((2 * Math.PI * freq * i) / rate);
  return x;
}

/** The middle of a signal, away from the edges where the kernel runs off the input. */
function middle(x: Float32Array, rate: number): Float32Array {
  return x.subarray(Math.round(rate * 0.1), x.length - Math.round(rate * 0.1));
}

describe('resample', () => {
  test.each([8000, 22050, 44100, 96000])('a 1 kHz tone at %i Hz stays 1 kHz at 48 kHz, same level', (rate) => {
    const out = resample(tone(1000, rate, 1), rate, 48000);
    expect(out.length).toBe(48000);
    const mid = middle(out, 48000);
    expect(zeroCrossingFrequency(mid, 48000)).toBeCloseTo(1000, 1);
    expect(toneAmplitude(mid, 1000, 48000)).toBeGreaterThan(0.495);
    expect(toneAmplitude(mid, 1000, 48000)).toBeLessThan(0.505);
    // nothing else: the rest of the energy is tiny
    expect(Math.abs(rms(mid) - 0.5 / Math.SQRT2)).toBeLessThan(0.002);
  });

  test('downsampling filters what would alias: 30 kHz at 96 kHz does not become 18 kHz at 48 kHz', () => {
    const out = middle(resample(tone(30000, 96000, 0.5), 96000, 48000), 48000);
    expect(rms(out)).toBeLessThan(0.5 * 0.001); // below −60 dB
    expect(toneAmplitude(out, 18000, 48000)).toBeLessThan(0.0005);
  });

  test('44.1 kHz → 48 kHz keeps a 15 kHz tone (in the pass band)', () => {
    const out = middle(resample(tone(15000, 44100, 0.5), 44100, 48000), 48000);
    expect(toneAmplitude(out, 15000, 48000)).toBeGreaterThan(0.49);
  });

  test('upsampling 8 kHz → 48 kHz leaves no images: a 3 kHz tone has no 5 kHz twin', () => {
    const out = middle(resample(tone(3000, 8000, 0.5), 8000, 48000), 48000);
    expect(toneAmplitude(out, 3000, 48000)).toBeGreaterThan(0.49);
    expect(toneAmplitude(out, 5000, 48000)).toBeLessThan(0.0005);
  });

  test('same rate copies; empty in, empty out; nonsense rates throw', () => {
    const x = tone(1000, 48000, 0.01);
    const y = resample(x, 48000, 48000);
    expect(y).toEqual(x);
    expect(y).not.toBe(x);
    expect(resample(new Float32Array(0), 8000, 48000).length).toBe(0);
    expect(() => resample(x, 0, 48000)).toThrow(RangeError);
    expect(() => resample(x, 48000, Number.NaN)).toThrow(RangeError);
  });
});
