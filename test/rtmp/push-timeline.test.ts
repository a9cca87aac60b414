/**
 * The per-connection timeline: how every RTMP connection starts, its clock, and the one
 * keyframe gate. Tag bodies follow the FLV spec (E.4.2 audio, E.4.3 video): the first
 * byte is frame type << 4 | codec (0x17 AVC keyframe, 0x27 AVC inter frame, 0xAF AAC),
 * the second the packet type (0 sequence header, 1 data).
 */
import { PushTimeline, type TimelineItem } from '../../src/rtmp/push-timeline';
import type { FlvTag } from '../../src/flv/flv-tag';

const avcHeader = (ts: number, sps = 0x42): FlvTag => ({ type: 9, timestamp: ts, data: Buffer.from([0x17, 0x00, 0, 0, 0, 0x01, sps]) });
const key = (ts: number): FlvTag => ({ type: 9, timestamp: ts, data: Buffer.from([0x17, 0x01, 0, 0, 0, 0x65]) });
const inter = (ts: number): FlvTag => ({ type: 9, timestamp: ts, data: Buffer.from([0x27, 0x01, 0, 0, 0, 0x41]) });
const aacHeader = (ts: number): FlvTag => ({ type: 8, timestamp: ts, data: Buffer.from([0xaf, 0x00, 0x11, 0x90]) });
const aac = (ts: number): FlvTag => ({ type: 8, timestamp: ts, data: Buffer.from([0xaf, 0x01, 0x21]) });

/** Each written item as a word: meta@0, vh@0 (video header), ah@0, K@0 (keyframe), P@33, A@21. */
function words(items: TimelineItem[]): string[] {
  return items.map((item) => {
    if (item.kind === 'metadata') return `meta@${item.timestamp}`;
    const t = item.tag;
    const name = t.type === 8 ? (t.data[1] === 0 ? 'ah' : 'A') : t.data[1] === 0 ? 'vh' : t.data[0] >> 4 === 1 ? 'K' : 'P';
    return `${name}@${t.timestamp}`;
  });
}

function feed(tl: PushTimeline, tags: FlvTag[]): string[] {
  return tags.flatMap((t) => words(tl.push(t)));
}

describe('PushTimeline', () => {
  it('starts a connection with metadata, both sequence headers, then the keyframe at 0 — also when the audio header came long before the video one', () => {
    const tl = new PushTimeline({ hasVideo: true });
    expect(feed(tl, [aacHeader(0)])).toEqual([]);
    expect(words(tl.begin())).toEqual([]); // publishing, but no picture yet: nothing goes out
    expect(feed(tl, [aac(1000), aac(1021)])).toEqual([]); // audio alone never starts a connection
    expect(feed(tl, [avcHeader(1040)])).toEqual([]);
    expect(feed(tl, [key(1040)])).toEqual(['meta@0', 'vh@0', 'ah@0', 'K@0']);
    expect(feed(tl, [aac(1042), inter(1073)])).toEqual(['A@2', 'P@33']);
    expect(tl.stats.audioDropped).toBe(2);
  });

  it('keeps the run since the latest keyframe while connecting and replays it on publish', () => {
    const tl = new PushTimeline({ hasVideo: true });
    expect(feed(tl, [avcHeader(500), aacHeader(0), inter(480), key(500), aac(510), inter(533), aac(531)])).toEqual([]);
    expect(words(tl.begin())).toEqual(['meta@0', 'vh@0', 'ah@0', 'K@0', 'A@10', 'P@33', 'A@31']);
    expect(tl.stats.videoDropped).toBe(1);
  });

  it('starts the kept run again at a keyframe once it is longer than maxHeldMs', () => {
    const tl = new PushTimeline({ hasVideo: true, maxHeldMs: 1000 });
    feed(tl, [avcHeader(0), aacHeader(0), key(0), inter(500), key(900), inter(1000), key(2000), inter(2033)]);
    // 0..2000 is longer than 1000 ms: the run restarts at 2000 (the 900 keyframe was too recent to restart at).
    expect(words(tl.begin())).toEqual(['meta@0', 'vh@0', 'ah@0', 'K@0', 'P@33']);
    expect(tl.stats.videoDropped).toBe(4);
  });

  it('rebases to 0 and keeps each track strictly increasing when the source clock steps back', () => {
    const tl = new PushTimeline({ hasVideo: true });
    feed(tl, [avcHeader(100), aacHeader(0), key(100)]);
    tl.begin();
    expect(feed(tl, [inter(133), inter(120), inter(133), aac(110), aac(105)])).toEqual(['P@33', 'P@34', 'P@35', 'A@10', 'A@11']);
  });

  it('writes a changed sequence header just before the next frame of its track, at its timestamp; an unchanged one not at all; metadata never mid-stream', () => {
    const tl = new PushTimeline({ hasVideo: true });
    feed(tl, [avcHeader(0, 0x42), aacHeader(0), key(0)]);
    tl.begin();
    expect(feed(tl, [avcHeader(50, 0x42), inter(66)])).toEqual(['P@66']);
    expect(feed(tl, [avcHeader(90, 0x4d), aac(95), key(100)])).toEqual(['A@95', 'vh@100', 'K@100']);
  });

  it('a new picture format while connecting drops the frames of the old one', () => {
    const tl = new PushTimeline({ hasVideo: true });
    feed(tl, [avcHeader(0, 0x42), aacHeader(0), key(0), inter(33), avcHeader(66, 0x4d)]);
    expect(words(tl.begin())).toEqual([]);
    expect(feed(tl, [key(66)])).toEqual(['meta@0', 'vh@0', 'ah@0', 'K@0']);
    expect(tl.headers().video!.data.at(-1)).toBe(0x4d);
  });

  it('an audio-only push starts on its first audio frame', () => {
    const tl = new PushTimeline({ hasVideo: false });
    feed(tl, [aacHeader(0), aac(5000), aac(5021)]);
    expect(words(tl.begin())).toEqual(['meta@0', 'ah@0', 'A@0', 'A@21']);
    expect(tl.waitingForKeyframe).toBe(false);
  });

  it('says when it waits for a keyframe, and a follow-up connection inherits the headers', () => {
    const first = new PushTimeline({ hasVideo: true });
    feed(first, [avcHeader(0), aacHeader(0), key(0)]);
    first.begin();
    const next = new PushTimeline({ hasVideo: true });
    next.inheritHeaders(first.headers());
    next.begin();
    expect(next.waitingForKeyframe).toBe(true);
    expect(feed(next, [inter(4000), aac(4010), key(4033)])).toEqual(['meta@0', 'vh@0', 'ah@0', 'K@0']);
    expect(next.waitingForKeyframe).toBe(false);
  });
});
