/**
 * The first fields of a slice header (H.264 7.3.3): enough to tell where a picture's
 * first slice is (first_mb_in_slice 0) and to follow frame_num from one picture to the
 * next (7.4.3: without gaps_in_frame_num_value_allowed_flag a missing reference picture
 * shows as a jump in frame_num).
 */
import { BitReader, H264Error } from './h264-bits';
import { nalToRbsp, type SpsInfo } from './h264-sps';

export interface SliceHeaderStart {
  firstMbInSlice: number;
  /** slice_type 0..9 (Table 7-6; 5..9 say every slice of the picture has that type) */
  sliceType: number;
  ppsId: number;
  /** frame_num, when the SPS was given */
  frameNum?: number;
}

/** Slice NAL unit types: non-IDR (1), data partition A (2), IDR (5). */
const SLICE_TYPES = new Set([1, 2, 5]);

/** The bytes a slice header start can take: ue(v) of ≤ 32 bits ×3 + colour plane + frame_num. */
const HEADER_BYTES = 20;

/**
 * Reads the start of a slice NAL unit (header byte included). With the active SPS it
 * also reads frame_num. Throws H264Error on another NAL type or a cut header.
 */
export function parseSliceHeaderStart(nal: Buffer, sps?: Pick<SpsInfo, 'log2MaxFrameNum' | 'separateColourPlane'>): SliceHeaderStart {
  if (nal.length < 2) throw new H264Error(`slice NAL unit too short (${nal.length} bytes)`);
  const type = nal[0] & 0x1f;
  if (!SLICE_TYPES.has(type)) throw new H264Error(`not a slice: nal_unit_type ${type}`);
  const r = new BitReader(nalToRbsp(nal.subarray(1, 1 + HEADER_BYTES)), 'slice header');
  // Level 6.2 allows 139264 macroblocks per picture.
  const firstMbInSlice = r.ue('first_mb_in_slice', 139263);
  const sliceType = r.ue('slice_type', 9);
  const ppsId = r.ue('pic_parameter_set_id', 255);
  const header: SliceHeaderStart = { firstMbInSlice, sliceType, ppsId };
  if (sps) {
    if (sps.separateColourPlane) r.bits(2); // colour_plane_id
    header.frameNum = r.bits(sps.log2MaxFrameNum);
  }
  return header;
}
