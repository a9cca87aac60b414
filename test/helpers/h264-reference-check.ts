/**
 * Checks, from the bitstream alone, that no picture follows a missing reference picture:
 * with gaps_in_frame_num_value_allowed_flag 0 (browsers' encoders), every non-IDR picture
 * has frame_num = (PrevRefFrameNum + 1) % MaxFrameNum (H.264 7.4.3), so a lost reference
 * picture shows as a jump. Reads AVC access units as an RTMP server recorded them.
 */
import { readFlvFile } from '../../src/flv/flv-file-reader';
import { FlvTagType } from '../../src/flv/flv-tag';
import { AvcPacketType, parseVideoTag } from '../../src/flv/video-tag';
import { fromAvcc, NalType, nalType, parseAvcDecoderConfigurationRecord, parseSliceHeaderStart, parseSps, type SpsInfo } from '../../src/media';

export interface ReferenceCheck {
  pictures: number;
  idrPictures: number;
  /** pictures whose frame_num says a reference picture before them is missing */
  gaps: Array<{ index: number; timestamp: number; expected: number; frameNum: number }>;
}

export interface CheckedPicture {
  timestamp: number;
  /** NAL units of one access unit */
  nalUnits: Buffer[];
}

export function checkReferenceChain(sps: SpsInfo, pictures: Iterable<CheckedPicture>): ReferenceCheck {
  const result: ReferenceCheck = { pictures: 0, idrPictures: 0, gaps: [] };
  const maxFrameNum = 2 ** sps.log2MaxFrameNum;
  let prevRefFrameNum: number | undefined;
  for (const picture of pictures) {
    const slice = picture.nalUnits.find((n) => [NalType.NonIdr, NalType.PartitionA, NalType.Idr].includes(nalType(n) as 1 | 2 | 5));
    if (!slice) continue;
    const index = result.pictures++;
    const { frameNum } = parseSliceHeaderStart(slice, sps);
    const isReference = (slice[0] >> 5) & 3;
    if (nalType(slice) === NalType.Idr) {
      result.idrPictures++;
      prevRefFrameNum = frameNum;
      continue;
    }
    if (prevRefFrameNum !== undefined) {
      const expected = (prevRefFrameNum + 1) % maxFrameNum;
      if (frameNum !== expected) result.gaps.push({ index, timestamp: picture.timestamp, expected, frameNum: frameNum! });
    }
    if (isReference) prevRefFrameNum = frameNum;
  }
  return result;
}

/** The check over every video tag of an FLV recording (its first AVC sequence header gives the SPS). */
export async function checkFlvReferenceChain(file: string): Promise<ReferenceCheck> {
  let sps: SpsInfo | undefined;
  const pictures: CheckedPicture[] = [];
  for await (const tag of readFlvFile(file)) {
    if (tag.type !== FlvTagType.Video) continue;
    const video = parseVideoTag(tag.data);
    if (video.avcPacketType === AvcPacketType.SequenceHeader) {
      sps ??= parseSps(parseAvcDecoderConfigurationRecord(video.payload).sps[0]!);
    } else if (video.avcPacketType === AvcPacketType.Nalu) {
      pictures.push({ timestamp: tag.timestamp, nalUnits: fromAvcc(video.payload) });
    }
  }
  if (!sps) throw new Error(`${file} has no AVC sequence header`);
  return checkReferenceChain(sps, pictures);
}
