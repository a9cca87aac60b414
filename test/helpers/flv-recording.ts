/**
 * What nginx recorded, read while it may still be writing: the complete tags of an FLV
 * file (a partly written last tag is left out), and how much media they hold. Lets a
 * test wait for "20 s of media arrived" instead of sleeping 20 s and hoping.
 */
import fs from 'node:fs';
import { FlvReader } from '../../src/flv/flv-file-reader';
import { FlvTagType, isSequenceHeader, type FlvTag, type FlvTagTypeId } from '../../src/flv/flv-tag';

export function recordedTags(file: string): FlvTag[] {
  return new FlvReader().push(fs.readFileSync(file));
}

/** Media tags (sequence headers and metadata aside) of one track. */
export function mediaTags(tags: FlvTag[], type: FlvTagTypeId): FlvTag[] {
  return tags.filter((t) => t.type === type && !isSequenceHeader(t));
}

/** The timestamp of the last complete frame of a track (ms of media recorded), 0 when none. */
export function recordedMs(file: string, type: FlvTagTypeId = FlvTagType.Video): number {
  if (!fs.existsSync(file)) return 0;
  let last = 0;
  for (const t of mediaTags(recordedTags(file), type)) last = Math.max(last, t.timestamp);
  return last;
}
