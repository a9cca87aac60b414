/**
 * H.264 access units → FLV video tags, without decoding. Keeps the current SPS/PPS:
 * the first keyframe (and every SPS/PPS change, e.g. when the browser lowers its
 * resolution) produces a new AVC sequence header before the frame, and reports the
 * new picture size so metadata can follow.
 */
import { avcNaluTagFromNalUnits, avcSequenceHeaderTag } from '../flv/video-tag';
import type { FlvTag } from '../flv/flv-tag';
import { buildAvcDecoderConfigurationRecord, NalType } from '../media/h264';
import { parseSps, type SpsInfo } from '../media/h264-sps';
import type { VideoFrame } from '../media';

export interface VideoFormat {
  width: number;
  height: number;
  sps: SpsInfo;
}

export class VideoMuxer {
  private sps: Buffer | undefined;
  private pps: Buffer | undefined;
  private started = false;
  format: VideoFormat | undefined;
  framesMuxed = 0;
  framesSkipped = 0;

  /**
   * Tags for one access unit: [sequence header?, frame]. Empty until the first
   * keyframe with SPS and PPS (nothing before it can be decoded). `onFormat` runs
   * when the picture format changes.
   */
  mux(frame: VideoFrame, onFormat?: (format: VideoFormat) => void): FlvTag[] {
    let sps: Buffer | undefined;
    let pps: Buffer | undefined;
    const slices: Buffer[] = [];
    for (const nal of frame.nalUnits) {
      if (nal.length === 0) continue;
      const type = nal[0] & 0x1f;
      if (type === NalType.Sps) sps = nal;
      else if (type === NalType.Pps) pps = nal;
      else if (type !== NalType.Aud) slices.push(nal);
    }
    const tags: FlvTag[] = [];
    const changed = (sps && (!this.sps || !sps.equals(this.sps))) || (pps && (!this.pps || !pps.equals(this.pps)));
    if (changed && sps && pps) {
      let info: SpsInfo;
      try {
        info = parseSps(sps);
      } catch {
        this.framesSkipped++;
        return tags; // an SPS we cannot read would make the stream undecodable downstream
      }
      this.sps = sps;
      this.pps = pps;
      this.format = { width: info.width, height: info.height, sps: info };
      tags.push(avcSequenceHeaderTag(frame.pts, buildAvcDecoderConfigurationRecord([sps], [pps])));
      onFormat?.(this.format);
    }
    if (!this.started) {
      if (!frame.keyframe || !this.sps) {
        this.framesSkipped++;
        return tags;
      }
      this.started = true;
    }
    if (slices.length === 0) return tags;
    tags.push(avcNaluTagFromNalUnits(frame.pts, frame.keyframe, slices));
    this.framesMuxed++;
    return tags;
  }
}
