/**
 * Sample-rate conversion for whole clips (sound_on WAV files are converted once, when
 * loaded): band-limited interpolation with a Kaiser-windowed sinc. When downsampling,
 * the kernel is widened so its cut-off sits below the new Nyquist frequency, which is
 * the anti-alias low-pass; when upsampling it removes the images. Pure, no state.
 */

/** Zero crossings of the sinc on each side (at the narrower of the two rates). */
const ZERO_CROSSINGS = 16;
/** Kaiser β: about 80 dB stop-band attenuation. */
const KAISER_BETA = 8;
/** Pass band kept, as a fraction of the lower Nyquist frequency (the rest is transition). */
const ROLLOFF = 0.92;

/** Modified Bessel function of the first kind, order 0 (power series). */
function besselI0(x: number): number {
  let sum = 1;
  let term = 1;
  const q = (x * x) / 4;
  for (let k = 1; k < 64; k++) {
    term *= q / (k * k);
    sum += term;
    if (term < sum * 1e-12) break;
  }
  return sum;
}

function sinc(x: number): number {
  if (x === 0) return 1;
  const px = Math.PI * x;
  return Math.sin(px) / px;
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/** Most kernel phases kept; rates with a larger L (odd ones) round the phase (error < 1/8192 sample). */
const MAX_PHASES = 4096;

/**
 * Converts one channel from `fromRate` to `toRate`. The output has
 * round(length × toRate / fromRate) samples; sample n sits at input time n × fromRate / toRate.
 *
 * Polyphase: for toRate/fromRate = L/M in lowest terms, output times fall on only L
 * distinct fractions of an input sample, so the kernel is computed once per fraction
 * and each output sample is a plain dot product.
 */
export function resample(input: Float32Array, fromRate: number, toRate: number): Float32Array {
  if (!(fromRate > 0) || !(toRate > 0) || !Number.isFinite(fromRate) || !Number.isFinite(toRate)) {
    throw new RangeError(`cannot resample from ${fromRate} Hz to ${toRate} Hz`);
  }
  if (fromRate === toRate) return Float32Array.from(input);
  const outLength = Math.round((input.length * toRate) / fromRate);
  const out = new Float32Array(outLength);
  if (input.length === 0) return out;

  // Cut-off in cycles per input sample.
  const cutoff = 0.5 * Math.min(1, toRate / fromRate) * ROLLOFF;
  const halfWidth = ZERO_CROSSINGS / (2 * cutoff); // in input samples
  const reach = Math.ceil(halfWidth);
  const taps = 2 * reach;
  const integerRates = Number.isInteger(fromRate) && Number.isInteger(toRate);
  const L = integerRates ? toRate / gcd(toRate, fromRate) : MAX_PHASES;
  const phases = Math.min(L, MAX_PHASES);

  // kernel[p * taps + j] weighs input[center - reach + 1 + j] for output time center + p/phases
  const kernel = new Float32Array(phases * taps);
  const i0beta = besselI0(KAISER_BETA);
  for (let p = 0; p < phases; p++) {
    const frac = p / phases;
    for (let j = 0; j < taps; j++) {
      const d = frac + reach - 1 - j; // distance from the input sample to the output time
      const r = Math.abs(d) / halfWidth;
      const window = r >= 1 ? 0 : besselI0(KAISER_BETA * Math.sqrt(1 - r * r)) / i0beta;
      kernel[p * taps + j] = 2 * cutoff * sinc(2 * cutoff * d) * window;
    }
  }

  const step = fromRate / toRate;
  const last = input.length - 1;
  for (let n = 0; n < outLength; n++) {
    const t = n * step;
    let center = Math.floor(t);
    let p = Math.round((t - center) * phases);
    if (p === phases) {
      center++;
      p = 0;
    }
    const first = center - reach + 1;
    const base = p * taps;
    let sum = 0;
    if (first >= 0 && first + taps - 1 <= last) {
      for (let j = 0; j < taps; j++) sum += input[first + j] * kernel[base + j];
    } else {
      for (let j = 0; j < taps; j++) {
        const k = first + j;
        if (k >= 0 && k <= last) sum += input[k] * kernel[base + j];
      }
    }
    out[n] = sum;
  }
  return out;
}
