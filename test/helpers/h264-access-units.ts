/**
 * Access units of an ffmpeg-made Annex B H.264 file, as a Publisher hands them on: a new
 * unit starts at a slice, SPS or AUD that follows a slice. `pts` is 0; callers set it.
 */
import fs from 'node:fs';
import { NalType, nalType, splitAnnexB } from '../../src/media/h264';
import type { VideoFrame } from '../../src/media/frames';

export function accessUnits(file: string): VideoFrame[] {
  const frames: VideoFrame[] = [];
  let current: Buffer[] = [];
  let sliceSeen = false;
  const close = (): void => {
    frames.push({ pts: 0, keyframe: current.some((n) => nalType(n) === NalType.Idr), nalUnits: current });
    current = [];
    sliceSeen = false;
  };
  for (const nal of splitAnnexB(fs.readFileSync(file))) {
    const t = nalType(nal);
    const slice = t === NalType.Idr || t === NalType.NonIdr;
    if (sliceSeen && (slice || t === NalType.Sps || t === NalType.Aud)) close();
    current.push(nal);
    if (slice) sliceSeen = true;
  }
  if (current.length > 0) close();
  return frames;
}
