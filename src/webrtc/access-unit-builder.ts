import { H264Error, NalType, nalType, parseSliceHeaderStart, parseSps, type SpsInfo } from '../media';
import type { VideoFrame } from '../media/frames';

export interface BuiltFrame {
  frame: VideoFrame;
  /** an IDR access unit with SPS and PPS in-band whose first slice starts at macroblock 0 */
  selfContained: boolean;
}

/**
 * Turns the NAL units of one access unit into a VideoFrame: the keyframe flag from the
 * slices, and the last SPS/PPS put in front of a keyframe that arrives without them
 * (browsers send them in-band, but not always with every IDR). Remembers the picture
 * size of the last SPS that parsed.
 */
export class AccessUnitBuilder {
  private sps?: Buffer;
  private pps?: Buffer;
  private spsInfo?: SpsInfo;

  get size(): { width: number; height: number } | undefined {
    return this.spsInfo && { width: this.spsInfo.width, height: this.spsInfo.height };
  }

  build(nals: Buffer[], pts: number): BuiltFrame | undefined {
    if (nals.length === 0) return undefined;
    let keyframe = false;
    let hasSps = false;
    let hasPps = false;
    let firstSliceStartsPicture: boolean | undefined;
    for (const nal of nals) {
      const type = nalType(nal);
      if (type === NalType.Idr || type === NalType.NonIdr || type === NalType.PartitionA) {
        if (type === NalType.Idr) keyframe = true;
        firstSliceStartsPicture ??= startsPicture(nal);
      } else if (type === NalType.Sps) {
        hasSps = true;
        if (!this.sps || !this.sps.equals(nal)) {
          this.sps = Buffer.from(nal);
          this.spsInfo = spsOrUndefined(nal) ?? this.spsInfo;
        }
      } else if (type === NalType.Pps) {
        hasPps = true;
        this.pps = Buffer.from(nal);
      }
    }
    const selfContained = keyframe && hasSps && hasPps && firstSliceStartsPicture === true;
    if (keyframe && (!hasSps || !hasPps)) {
      const prefix: Buffer[] = [];
      if (!hasSps && this.sps) prefix.push(this.sps);
      if (!hasPps && this.pps) prefix.push(this.pps);
      return { frame: { pts, keyframe, nalUnits: [...prefix, ...nals] }, selfContained };
    }
    return { frame: { pts, keyframe, nalUnits: nals }, selfContained };
  }
}

/** A broken SPS costs the size, never the frame. */
function spsOrUndefined(nal: Buffer): SpsInfo | undefined {
  try {
    return parseSps(nal);
  } catch (error) {
    if (error instanceof H264Error) return undefined;
    throw error;
  }
}

function startsPicture(slice: Buffer): boolean {
  try {
    return parseSliceHeaderStart(slice).firstMbInSlice === 0;
  } catch (error) {
    if (error instanceof H264Error) return false;
    throw error;
  }
}
