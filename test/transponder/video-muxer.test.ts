import fs from 'node:fs';
import path from 'node:path';
import { VideoMuxer } from '../../src/transponder/video-muxer';
import { fromAvcc, splitAnnexB, NalType, nalType, parseAvcDecoderConfigurationRecord } from '../../src/media/h264';
import { parseVideoTag } from '../../src/flv/video-tag';
import { isSequenceHeader, isVideoKeyframe } from '../../src/flv/flv-tag';
import type { VideoFrame } from '../../src/media/frames';
import { accessUnits as unitsOf } from '../helpers/h264-access-units';

const FIXTURES = path.join(__dirname, '../fixtures');

/** The fixture's access units, 33 ms apart. */
function accessUnits(file: string): VideoFrame[] {
  return unitsOf(path.join(FIXTURES, file)).map((frame, i) => ({ ...frame, pts: i * 33 }));
}


describe('VideoMuxer', () => {
  it('starts with a sequence header and a keyframe, then one tag per access unit', () => {
    const frames = accessUnits('h264-testsrc-baseline-320x240-30f.h264');
    expect(frames.length).toBe(30);
    const muxer = new VideoMuxer();
    const formats: Array<{ width: number; height: number }> = [];
    const tags = frames.flatMap((f) => muxer.mux(f, (fmt) => formats.push({ width: fmt.width, height: fmt.height })));
    expect(isSequenceHeader(tags[0])).toBe(true);
    expect(isVideoKeyframe(tags[1]) && !isSequenceHeader(tags[1])).toBe(true);
    expect(tags.length).toBe(31);
    expect(formats).toEqual([{ width: 320, height: 240 }]);
    const record = parseAvcDecoderConfigurationRecord(parseVideoTag(tags[0].data).payload);
    expect(record.sps[0].equals(frames[0].nalUnits.find((n) => nalType(n) === NalType.Sps)!)).toBe(true);
    // SPS/PPS are carried by the sequence header, not repeated in the frame.
    const types = fromAvcc(parseVideoTag(tags[1].data).payload).map(nalType);
    expect(types).toContain(NalType.Idr);
    expect(types).not.toContain(NalType.Sps);
    expect(types).not.toContain(NalType.Pps);
  });

  it('skips inter frames before the first keyframe', () => {
    const frames = accessUnits('h264-testsrc-baseline-320x240-30f.h264');
    const muxer = new VideoMuxer();
    expect(muxer.mux(frames[1])).toEqual([]);
    expect(muxer.mux(frames[2])).toEqual([]);
    expect(muxer.framesSkipped).toBe(2);
    expect(muxer.mux(frames[0]).length).toBe(2);
  });

  it('sends a new sequence header when the SPS changes (the browser changed resolution)', () => {
    const a = accessUnits('h264-high-640x360.h264');
    const b = accessUnits('h264-high-1280x720.h264');
    const muxer = new VideoMuxer();
    const sizes: string[] = [];
    const tags = [...a, ...b].flatMap((f) => muxer.mux(f, (fmt) => sizes.push(`${fmt.width}x${fmt.height}`)));
    expect(sizes).toEqual(['640x360', '1280x720']);
    expect(tags.filter(isSequenceHeader).length).toBe(2);
  });

  it('ignores a frame whose SPS it cannot read, instead of sending an undecodable header', () => {
    const muxer = new VideoMuxer();
    const broken: VideoFrame = { pts: 0, keyframe: true, nalUnits: [Buffer.from([0x67, 0xff]), Buffer.from([0x68, 0xce]), Buffer.from([0x65, 0x88])] };
    expect(muxer.mux(broken)).toEqual([]);
  });
});
