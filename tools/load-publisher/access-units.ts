/**
 * An Annex B H.264 stream with access unit delimiters → access units. ffmpeg's
 * `h264_metadata=aud=insert` puts an AUD (type 9) before every picture, which makes the
 * split exact without parsing slice headers. Pure.
 */
import { nalType, NalType, splitAnnexB } from '../../src/media/h264';

export interface AccessUnit {
  /** NAL units without start codes and without the AUD */
  nalUnits: Buffer[];
  keyframe: boolean;
}

export function accessUnits(annexB: Buffer): AccessUnit[] {
  const units: AccessUnit[] = [];
  let current: Buffer[] | undefined;
  const flush = (): void => {
    if (current && current.length > 0) units.push({ nalUnits: current, keyframe: current.some((n) => nalType(n) === NalType.Idr) });
  };
  for (const nal of splitAnnexB(annexB)) {
    if (nalType(nal) === NalType.Aud) {
      flush();
      current = [];
    } else {
      (current ??= []).push(nal);
    }
  }
  flush();
  return units;
}
