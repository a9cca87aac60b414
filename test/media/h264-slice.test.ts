import { H264Error } from '../../src/media/h264-bits';
import { parseSliceHeaderStart } from '../../src/media/h264-slice';

const bits = (s: string): Buffer => {
  const clean = s.replace(/\/\/[^\n]*/g, '').replace(/\s+/g, '');
  const padded = clean.padEnd(Math.ceil(clean.length / 8) * 8, '0');
  return Buffer.from(padded.match(/.{8}/g)!.map((b) => parseInt(b, 2)));
};

describe('slice header start (H.264 7.3.3)', () => {
  it('reads first_mb_in_slice, slice_type, pic_parameter_set_id and frame_num', () => {
    const nal = bits(`
      01000001   // nal_unit_header: forbidden 0, nal_ref_idc 2, type 1 (non-IDR)
      00110      // first_mb_in_slice ue(v) = 5
      011        // slice_type ue(v) = 2 (I)
      1          // pic_parameter_set_id ue(v) = 0
      101101     // frame_num u(6) = 45 (log2_max_frame_num 6)
      1          // the rest of the header
    `);
    expect(parseSliceHeaderStart(nal, { log2MaxFrameNum: 6, separateColourPlane: false })).toEqual({ firstMbInSlice: 5, sliceType: 2, ppsId: 0, frameNum: 45 });
    expect(parseSliceHeaderStart(nal)).toEqual({ firstMbInSlice: 5, sliceType: 2, ppsId: 0 });
  });

  it('skips colour_plane_id when the SPS has separate colour planes', () => {
    const nal = bits(`
      01100101   // IDR
      1 0001000 1  // first_mb 0, slice_type 7, pps 0
      10         // colour_plane_id u(2)
      0011       // frame_num u(4) = 3
    `);
    expect(parseSliceHeaderStart(nal, { log2MaxFrameNum: 4, separateColourPlane: true }).frameNum).toBe(3);
  });

  it('Chromium IDR and P slices start at macroblock 0', () => {
    expect(parseSliceHeaderStart(Buffer.from('65888400ff', 'hex')).firstMbInSlice).toBe(0);
    expect(parseSliceHeaderStart(Buffer.from('419a2233', 'hex')).firstMbInSlice).toBe(0);
  });

  it('throws H264Error on a NAL unit that is not a slice, or one cut short', () => {
    expect(() => parseSliceHeaderStart(Buffer.from('6742c01f', 'hex'))).toThrow(H264Error);
    expect(() => parseSliceHeaderStart(Buffer.from('41', 'hex'))).toThrow(H264Error);
    expect(() => parseSliceHeaderStart(bits('01000001 0000000001'))).toThrow(H264Error);
  });
});
