import type { VideoFrame } from '../media/frames';
import { NAL_IDR, NAL_PPS, NAL_SPS, nalType, parseSps, splitAnnexB, type SpsInfo } from './h264-nal';

/**
 * Turns one depacketized access unit (Annex B) into a VideoFrame: NAL units without start
 * codes, the keyframe flag from the slices, and the last SPS/PPS put in front of a keyframe
 * that arrives without them (browsers send them in-band, but not always with every IDR).
 */
export class AccessUnitBuilder {
  private sps?: Buffer;
  private pps?: Buffer;
  private spsInfo?: SpsInfo;

  get size(): { width: number; height: number } | undefined {
    return this.spsInfo && { width: this.spsInfo.width, height: this.spsInfo.height };
  }

  build(annexB: Buffer, pts: number): VideoFrame | undefined {
    const nals = splitAnnexB(annexB);
    if (nals.length === 0) return undefined;
    let keyframe = false;
    let hasSps = false;
    let hasPps = false;
    for (const nal of nals) {
      const type = nalType(nal);
      if (type === NAL_IDR) keyframe = true;
      else if (type === NAL_SPS) {
        hasSps = true;
        if (!this.sps || !this.sps.equals(nal)) {
          this.sps = Buffer.from(nal);
          this.spsInfo = parseSps(nal) ?? this.spsInfo;
        }
      } else if (type === NAL_PPS) {
        hasPps = true;
        this.pps = Buffer.from(nal);
      }
    }
    if (keyframe && (!hasSps || !hasPps)) {
      const prefix: Buffer[] = [];
      if (!hasSps && this.sps) prefix.push(this.sps);
      if (!hasPps && this.pps) prefix.push(this.pps);
      return { pts, keyframe, nalUnits: [...prefix, ...nals] };
    }
    return { pts, keyframe, nalUnits: nals };
  }
}
