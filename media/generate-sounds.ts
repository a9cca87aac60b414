/**
 * Makes the WAV files shipped in media/ (the default media_dir for /push/sound_on):
 *   tone-1khz.wav  1 s of 1 kHz at −12 dBFS, 48 kHz mono 16-bit: a test tone
 *   beep.wav       three short 880 Hz beeps, 48 kHz mono 16-bit: a demo sound
 * Deterministic, so a test checks the shipped files equal this output.
 * Run: npx tsx media/generate-sounds.ts
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeWav16 } from '../src/media/wav';

const RATE = 48000;

/** A sine with raised-cosine fades, so it starts and stops without clicks. */
function tone(freq: number, seconds: number, amplitude: number, fadeMs: number): Float64Array {
  const n = Math.round(seconds * RATE);
  const fade = Math.round((fadeMs * RATE) / 1000);
  const x = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const edge = Math.min(i, n - 1 - i);
    const gain = edge >= fade ? 1 : 0.5 - 0.5 * Math.cos((Math.PI * edge) / fade);
    x[i] = amplitude * gain * Math.sin((2 * Math.PI * freq * i) / RATE);
  }
  return x;
}

function toPcm(x: Float64Array): Int16Array {
  return Int16Array.from(x, (v) => Math.max(-32768, Math.min(32767, Math.round(v * 32767))));
}

export function makeSounds(): Record<string, Buffer> {
  const minus12dB = 10 ** (-12 / 20);
  const beep = tone(880, 0.15, 0.5, 5);
  const gap = new Float64Array(Math.round(0.1 * RATE));
  const beeps = new Float64Array(3 * beep.length + 2 * gap.length);
  beeps.set(beep, 0);
  beeps.set(beep, beep.length + gap.length);
  beeps.set(beep, 2 * (beep.length + gap.length));
  return {
    'tone-1khz.wav': encodeWav16(toPcm(tone(1000, 1, minus12dB, 5)), RATE, 1),
    'beep.wav': encodeWav16(toPcm(beeps), RATE, 1),
  };
}

if (require.main === module) {
  for (const [name, data] of Object.entries(makeSounds())) writeFileSync(join(__dirname, name), data);
}
