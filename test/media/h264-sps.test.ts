import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { nalType, NalType, splitAnnexB } from '../../src/media/h264';
import { H264Error, nalToRbsp, parseSps } from '../../src/media/h264-sps';

const FIXTURES = join(__dirname, '..', 'fixtures');
const hex = (s: string): Buffer => Buffer.from(s.replace(/\/\/[^\n]*/g, '').replace(/\s+/g, ''), 'hex');

interface ProbeStream {
  codec_type: string;
  profile?: string;
  level?: number;
  width?: number;
  height?: number;
  pix_fmt?: string;
  r_frame_rate?: string;
}
/** What ffprobe said about each fixture when make-media-fixtures.sh made it. */
const probe = JSON.parse(readFileSync(join(FIXTURES, 'media-fixtures.ffprobe.json'), 'utf8')) as Record<
  string,
  { streams: ProbeStream[] }
>;

const PROFILE_IDC: Record<string, number> = { 'Constrained Baseline': 66, Baseline: 66, Main: 77, High: 100, 'High 4:2:2': 122 };
const CHROMA: Record<string, number> = { yuv420p: 1, yuv422p: 2, yuv444p: 3 };

describe('parseSps on libx264 streams, checked against ffprobe', () => {
  const files = Object.keys(probe).filter((f) => f.endsWith('.h264'));

  it('covers the sizes the relay meets', () => {
    expect(files).toEqual(
      expect.arrayContaining([
        'h264-high-1280x720.h264',
        'h264-high-640x360.h264',
        'h264-high-1920x1080.h264',
        'h264-baseline-1280x720.h264',
      ]),
    );
  });

  it.each(files)('%s: size, profile, level, chroma and frame rate equal ffprobe', (file) => {
    const video = probe[file].streams[0];
    const sps = splitAnnexB(readFileSync(join(FIXTURES, file))).find((n) => nalType(n) === NalType.Sps);
    expect(sps).toBeDefined();
    const info = parseSps(sps!);
    const [num, den] = video.r_frame_rate!.split('/').map(Number);
    expect(info).toMatchObject({
      width: video.width,
      height: video.height,
      profileIdc: PROFILE_IDC[video.profile!],
      levelIdc: video.level,
      chromaFormatIdc: CHROMA[video.pix_fmt!],
      bitDepthLuma: 8,
      frameRate: num / den,
    });
  });

  it('crops 1088 coded lines to 1080 and 368 to 360', () => {
    const sizeOf = (file: string) => {
      const sps = splitAnnexB(readFileSync(join(FIXTURES, file)))[0];
      const { width, height } = parseSps(sps);
      return `${width}x${height}`;
    };
    expect(sizeOf('h264-high-1920x1080.h264')).toBe('1920x1080');
    expect(sizeOf('h264-high-640x360.h264')).toBe('640x360');
  });

  it('reports the constraint flags byte: constrained baseline from x264 is 0xc0', () => {
    const sps = splitAnnexB(readFileSync(join(FIXTURES, 'h264-baseline-1280x720.h264')))[0];
    expect(parseSps(sps).constraintFlags).toBe(0xc0);
  });
});

describe('parseSps on hand-written SPS (fields from H.264 7.3.2.1.1, decoded by ffmpeg trace_headers)', () => {
  it('Chromium-like constrained baseline 42e01f 640x360', () => {
    // Bits: profile_idc 66 | constraint_set0..2 = 111, 00000 | level_idc 31 |
    // sps_id ue 0 '1' | log2_max_frame_num_minus4 ue 0 '1' | pic_order_cnt_type ue 2 '011' |
    // max_num_ref_frames ue 1 '010' | gaps 0 | pic_width_in_mbs_minus1 ue 39 '00000101000' |
    // pic_height_in_map_units_minus1 ue 22 '000011000' (23 MB rows = 368 lines) |
    // frame_mbs_only 1 | direct_8x8 1 | frame_cropping 1: left/right/top ue 0, bottom ue 4 '00101'
    // (4 × CropUnitY 2 = 8 lines) | vui_parameters_present 0 | rbsp_stop_one_bit + alignment.
    const sps = hex('67 42 e0 1f da0280bfe540');
    expect(parseSps(sps)).toEqual({
      profileIdc: 66,
      constraintFlags: 0xe0,
      levelIdc: 31,
      width: 640,
      height: 360,
      chromaFormatIdc: 1,
      bitDepthLuma: 8,
      bitDepthChroma: 8,
      log2MaxFrameNum: 4,
      separateColourPlane: false,
    });
  });

  it('High 1920x1080 with a sequence scaling matrix and 30000/1001 VUI timing', () => {
    // profile_idc 100, constraints 0, level_idc 40, sps_id 0, chroma_format_idc 1,
    // bit depths 8, qpprime 0, seq_scaling_matrix_present 1:
    //   list[0] present, delta_scale se -8 → nextScale 0 (use the default list, stop);
    //   lists 1..5 absent; list[6] (8x8) present: delta +2 then 63 deltas of 0; list[7] absent.
    // log2_max_frame_num_minus4 0, poc type 0, log2_max_poc_lsb_minus4 2, max_num_ref_frames 4,
    // gaps 0, width_in_mbs_minus1 119, height_in_map_units_minus1 67 (1088), frame_mbs_only 1,
    // direct_8x8 1, cropping bottom 4 (→ 1080), VUI: only timing_info: num_units_in_tick 1001,
    // time_scale 60000, fixed_frame_rate 1; no HRD, no bitstream restriction.
    const sps = hex('67640028ad844127fffffffffffffff6ca03c0113f2c2000007d20001d4c1080');
    const info = parseSps(sps);
    expect(info).toMatchObject({ profileIdc: 100, levelIdc: 40, width: 1920, height: 1080, chromaFormatIdc: 1 });
    expect(info.frameRate).toBeCloseTo(29.97, 2);
  });

  it('strips emulation prevention bytes before reading', () => {
    expect(nalToRbsp(hex('01 000003 00 000003 01 0000 03'))).toEqual(hex('01 0000 00 0000 01 0000'));
    expect(nalToRbsp(hex('6742'))).toEqual(hex('6742'));
  });

  it('keeps the picture size when the VUI is cut short', () => {
    // The 640x360 x264 SPS with its VUI cut after the first bytes of timing info.
    const full = hex('6764001eacd940a02ff970110000030001000003003c0f162d96');
    const info = parseSps(full.subarray(0, 12));
    expect(info).toMatchObject({ width: 640, height: 360 });
    expect(info.frameRate).toBeUndefined();
  });

  it('throws H264Error on a non-SPS NAL, a short SPS, and an SPS cut before its size', () => {
    expect(() => parseSps(hex('68ebe3cb22c0'))).toThrow(H264Error);
    expect(() => parseSps(hex('6764'))).toThrow(H264Error);
    expect(() => parseSps(hex('6764001eacd9'))).toThrow(H264Error);
    // 40 zero bits where an Exp-Golomb code should be
    expect(() => parseSps(hex('6742c01f 0000000000 80'))).toThrow(H264Error);
  });
});
