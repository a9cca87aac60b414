/**
 * seq_parameter_set_rbsp (H.264 7.3.2.1.1) reader: just enough to know the picture
 * size, profile, chroma format, bit depth and the VUI frame rate. Every read is
 * bounds-checked, so garbage gives an H264Error, never a crash or a hang.
 */

import { BitReader, H264Error } from './h264-bits';

export { H264Error };

export interface SpsInfo {
  profileIdc: number;
  /** The byte after profile_idc: constraint_set0..5 flags and reserved_zero_2bits. */
  constraintFlags: number;
  levelIdc: number;
  /** Displayed size: coded macroblocks minus the frame cropping rectangle. */
  width: number;
  height: number;
  chromaFormatIdc: number;
  bitDepthLuma: number;
  bitDepthChroma: number;
  /** MaxFrameNum = 2^log2MaxFrameNum: frame_num in slice headers has this many bits (7.4.2.1.1). */
  log2MaxFrameNum: number;
  /** separate_colour_plane_flag: slice headers then carry colour_plane_id. */
  separateColourPlane: boolean;
  /** time_scale / (2 * num_units_in_tick) when the VUI carries timing info. */
  frameRate?: number;
}

/** Profiles whose SPS carries chroma_format_idc, bit depths and scaling matrices. */
const PROFILES_WITH_CHROMA_INFO = new Set([100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135]);

/** Removes emulation_prevention_three_byte: 00 00 03 → 00 00 (7.4.1). */
export function nalToRbsp(nal: Buffer): Buffer {
  let i = nal.indexOf(Buffer.from([0, 0, 3]));
  if (i === -1) return nal;
  const out = Buffer.allocUnsafe(nal.length);
  let o = 0;
  let from = 0;
  while (i !== -1) {
    o += nal.copy(out, o, from, i + 2);
    from = i + 3; // skip the 0x03
    i = nal.indexOf(Buffer.from([0, 0, 3]), from);
  }
  o += nal.copy(out, o, from);
  return out.subarray(0, o);
}

/** scaling_list() of 7.3.2.1.1.1; only read past, the values are not needed. */
function skipScalingList(r: BitReader, size: number): void {
  let lastScale = 8;
  let nextScale = 8;
  for (let j = 0; j < size; j++) {
    if (nextScale !== 0) {
      const delta = r.se('delta_scale', -128, 127);
      nextScale = (lastScale + delta + 256) % 256;
    }
    lastScale = nextScale === 0 ? lastScale : nextScale;
  }
}

/** Parses an SPS NAL unit (header byte included, emulation prevention allowed). */
export function parseSps(nal: Buffer): SpsInfo {
  if (nal.length < 4) throw new H264Error(`SPS too short (${nal.length} bytes)`);
  if ((nal[0] & 0x1f) !== 7) throw new H264Error(`not an SPS: nal_unit_type ${nal[0] & 0x1f}`);
  const r = new BitReader(nalToRbsp(nal.subarray(1)));
  const profileIdc = r.bits(8);
  const constraintFlags = r.bits(8);
  const levelIdc = r.bits(8);
  r.ue('seq_parameter_set_id', 31);

  let chromaFormatIdc = 1;
  let separateColourPlane = 0;
  let bitDepthLuma = 8;
  let bitDepthChroma = 8;
  if (PROFILES_WITH_CHROMA_INFO.has(profileIdc)) {
    chromaFormatIdc = r.ue('chroma_format_idc', 3);
    if (chromaFormatIdc === 3) separateColourPlane = r.bit();
    bitDepthLuma = 8 + r.ue('bit_depth_luma_minus8', 6);
    bitDepthChroma = 8 + r.ue('bit_depth_chroma_minus8', 6);
    r.bit(); // qpprime_y_zero_transform_bypass_flag
    if (r.bit()) {
      // seq_scaling_matrix_present_flag: 6 4x4 lists, then 2 (or 6 for 4:4:4) 8x8 lists
      const lists = chromaFormatIdc !== 3 ? 8 : 12;
      for (let i = 0; i < lists; i++) {
        if (r.bit()) skipScalingList(r, i < 6 ? 16 : 64);
      }
    }
  }

  const log2MaxFrameNum = 4 + r.ue('log2_max_frame_num_minus4', 12);
  const picOrderCntType = r.ue('pic_order_cnt_type', 2);
  if (picOrderCntType === 0) {
    r.ue('log2_max_pic_order_cnt_lsb_minus4', 12);
  } else if (picOrderCntType === 1) {
    r.bit(); // delta_pic_order_always_zero_flag
    r.se('offset_for_non_ref_pic', -(2 ** 31) + 1, 2 ** 31 - 1);
    r.se('offset_for_top_to_bottom_field', -(2 ** 31) + 1, 2 ** 31 - 1);
    const cycle = r.ue('num_ref_frames_in_pic_order_cnt_cycle', 255);
    for (let i = 0; i < cycle; i++) r.se('offset_for_ref_frame', -(2 ** 31) + 1, 2 ** 31 - 1);
  }
  r.ue('max_num_ref_frames', 16);
  r.bit(); // gaps_in_frame_num_value_allowed_flag
  // Level 6.2 allows 139264 macroblocks per frame; 1023 per side is far beyond any real stream.
  const widthInMbs = r.ue('pic_width_in_mbs_minus1', 1023) + 1;
  const heightInMapUnits = r.ue('pic_height_in_map_units_minus1', 1023) + 1;
  const frameMbsOnly = r.bit();
  if (!frameMbsOnly) r.bit(); // mb_adaptive_frame_field_flag
  r.bit(); // direct_8x8_inference_flag

  let width = widthInMbs * 16;
  let height = (2 - frameMbsOnly) * heightInMapUnits * 16;
  if (r.bit()) {
    // frame_cropping_flag: offsets are in chroma sample units (7.4.2.1.1, Table 6-1)
    const chromaArrayType = separateColourPlane ? 0 : chromaFormatIdc;
    const subWidthC = chromaArrayType === 1 || chromaArrayType === 2 ? 2 : 1;
    const subHeightC = chromaArrayType === 1 ? 2 : 1;
    const cropUnitX = chromaArrayType === 0 ? 1 : subWidthC;
    const cropUnitY = (chromaArrayType === 0 ? 1 : subHeightC) * (2 - frameMbsOnly);
    const left = r.ue('frame_crop_left_offset', width);
    const right = r.ue('frame_crop_right_offset', width);
    const top = r.ue('frame_crop_top_offset', height);
    const bottom = r.ue('frame_crop_bottom_offset', height);
    width -= cropUnitX * (left + right);
    height -= cropUnitY * (top + bottom);
    if (width <= 0 || height <= 0) throw new H264Error('frame cropping leaves an empty picture');
  }

  const info: SpsInfo = {
    profileIdc,
    constraintFlags,
    levelIdc,
    width,
    height,
    chromaFormatIdc,
    bitDepthLuma,
    bitDepthChroma,
    log2MaxFrameNum,
    separateColourPlane: separateColourPlane === 1,
  };
  if (r.bit()) {
    // The VUI only adds the frame rate. Some encoders cut it short; the picture size
    // above is already certain, so a broken VUI costs the frame rate, not the SPS.
    try {
      const frameRate = readVuiFrameRate(r);
      if (frameRate !== undefined) info.frameRate = frameRate;
    } catch (err) {
      if (!(err instanceof H264Error)) throw err;
    }
  }
  return info;
}

/** vui_parameters() (E.1.1) up to timing info. */
function readVuiFrameRate(r: BitReader): number | undefined {
  if (r.bit()) {
    // aspect_ratio_info_present_flag
    const aspectRatioIdc = r.bits(8);
    if (aspectRatioIdc === 255) r.bits(32); // Extended_SAR: sar_width, sar_height
  }
  if (r.bit()) r.bit(); // overscan_info_present_flag → overscan_appropriate_flag
  if (r.bit()) {
    // video_signal_type_present_flag: video_format, video_full_range_flag
    r.bits(4);
    if (r.bit()) r.bits(24); // colour_description_present_flag: 3 × u(8)
  }
  if (r.bit()) {
    // chroma_loc_info_present_flag
    r.ue('chroma_sample_loc_type_top_field', 5);
    r.ue('chroma_sample_loc_type_bottom_field', 5);
  }
  if (!r.bit()) return undefined; // timing_info_present_flag
  const numUnitsInTick = r.bits(32);
  const timeScale = r.bits(32);
  if (numUnitsInTick === 0 || timeScale === 0) return undefined;
  // A frame is two fields' worth of ticks (E.2.1, equation C-1 with field pairs).
  return timeScale / (2 * numUnitsInTick);
}
