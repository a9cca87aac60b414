import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  aacRawTag,
  aacSequenceHeaderTag,
  avcEndOfSequenceTag,
  avcNaluTag,
  avcSequenceHeaderTag,
  encodeFlvTag,
  flvFileHeader,
  FlvError,
  FlvFileWriter,
  FlvReader,
  FlvTag,
  isSequenceHeader,
  isVideoKeyframe,
  onMetaDataTag,
  parseAudioTag,
  parseMetadata,
  parseVideoTag,
  readFlvFile,
} from '../../src/flv';
import { AdtsParser, buildAudioSpecificConfig, parseAudioSpecificConfig } from '../../src/media/aac';
import {
  buildAvcDecoderConfigurationRecord,
  fromAvcc,
  nalType,
  NalType,
  parseAvcDecoderConfigurationRecord,
  splitAnnexB,
  toAvcc,
} from '../../src/media/h264';
import { parseSps } from '../../src/media/h264-sps';

const FIXTURES = join(__dirname, '..', 'fixtures');
const FFMPEG_FLV = join(FIXTURES, 'flv-h264-aac-160x120.flv');
const probe = JSON.parse(readFileSync(join(FIXTURES, 'media-fixtures.ffprobe.json'), 'utf8')) as Record<
  string,
  { streams: { codec_type: string; width?: number; height?: number; nb_read_frames: string; sample_rate?: string; channels?: number }[] }
>;

async function readAll(path: string): Promise<FlvTag[]> {
  const tags: FlvTag[] = [];
  for await (const tag of readFlvFile(path)) tags.push(tag);
  return tags;
}

describe('FlvReader on an FLV written by ffmpeg (H.264 + AAC)', () => {
  let tags: FlvTag[];
  beforeAll(async () => {
    tags = await readAll(FFMPEG_FLV);
  });
  const streams = probe['flv-h264-aac-160x120.flv'].streams;
  const video = streams.find((s) => s.codec_type === 'video')!;
  const audio = streams.find((s) => s.codec_type === 'audio')!;

  it('starts with onMetaData, then the AVC and AAC sequence headers', () => {
    expect(tags[0].type).toBe(18);
    const firstVideo = tags.find((t) => t.type === 9)!;
    const firstAudio = tags.find((t) => t.type === 8)!;
    expect(isSequenceHeader(firstVideo)).toBe(true);
    expect(isVideoKeyframe(firstVideo)).toBe(true);
    expect(isSequenceHeader(firstAudio)).toBe(true);
  });

  it('has as many video and audio frames as ffprobe counts', () => {
    const videoFrames = tags.filter((t) => t.type === 9 && parseVideoTag(t.data).avcPacketType === 1);
    const audioFrames = tags.filter((t) => t.type === 8 && parseAudioTag(t.data).aacPacketType === 1);
    expect(videoFrames).toHaveLength(Number(video.nb_read_frames));
    expect(audioFrames).toHaveLength(Number(audio.nb_read_frames));
    // header tags: metadata, two sequence headers, ffmpeg's end-of-sequence tag
    expect(tags).toHaveLength(videoFrames.length + audioFrames.length + 4);
    expect(parseVideoTag(tags[tags.length - 1].data).avcPacketType).toBe(2);
  });

  it('has monotonic timestamps per track and B-frame composition offsets', () => {
    for (const type of [8, 9]) {
      const ts = tags.filter((t) => t.type === type).map((t) => t.timestamp);
      for (let i = 1; i < ts.length; i++) expect(ts[i]).toBeGreaterThanOrEqual(ts[i - 1]);
    }
    const cts = tags.filter((t) => t.type === 9).map((t) => parseVideoTag(t.data).compositionTime);
    expect(cts.some((c) => c! > 0)).toBe(true);
  });

  it('carries a sequence header whose SPS and ASC agree with ffprobe', () => {
    const record = parseAvcDecoderConfigurationRecord(parseVideoTag(tags.find((t) => t.type === 9)!.data).payload);
    expect(parseSps(record.sps[0])).toMatchObject({ width: video.width, height: video.height });
    const asc = parseAudioSpecificConfig(parseAudioTag(tags.find((t) => t.type === 8)!.data).payload);
    expect(asc).toEqual({ objectType: 2, sampleRate: Number(audio.sample_rate), channels: audio.channels });
  });

  it('has NAL units in every video frame', () => {
    for (const t of tags.filter((tag) => tag.type === 9)) {
      const v = parseVideoTag(t.data);
      if (v.avcPacketType === 1) expect(fromAvcc(v.payload).length).toBeGreaterThan(0);
    }
  });

  it('has metadata that parses', () => {
    const meta = parseMetadata(tags[0].data);
    expect(meta).toMatchObject({ width: 160, height: 120, framerate: 25, videocodecid: 7, audiocodecid: 10 });
    expect(meta!.audiosamplerate).toBe(44100);
    expect(meta!.stereo).toBe(true);
    expect(typeof meta!.encoder).toBe('string');
  });

  it('reads the same tags from any split of the bytes', () => {
    const bytes = readFileSync(FFMPEG_FLV);
    for (const step of [1, 7, 13, 4096]) {
      const reader = new FlvReader();
      const out: FlvTag[] = [];
      for (let i = 0; i < bytes.length; i += step) out.push(...reader.push(bytes.subarray(i, i + step)));
      expect(out).toEqual(tags);
      expect(reader.pendingBytes).toBe(0);
    }
  });

  it('readFlvFile reports a file cut inside a tag', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'flv-cut-'));
    try {
      const cut = join(dir, 'cut.flv');
      writeFileSync(cut, readFileSync(FFMPEG_FLV).subarray(0, 500));
      await expect(readAll(cut)).rejects.toThrow(FlvError);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('FlvReader errors', () => {
  it('rejects a bad signature, an absurd header size and an unknown tag type, and stays failed', () => {
    expect(() => new FlvReader().push(Buffer.from('FLX\x01\x05\x00\x00\x00\x09', 'latin1'))).toThrow(FlvError);
    expect(() => new FlvReader().push(Buffer.from('464c560105ffffffff', 'hex'))).toThrow(FlvError);
    const reader = new FlvReader();
    const bad = Buffer.concat([flvFileHeader(true, true), Buffer.from('0a000001000000000000000000000c', 'hex')]);
    expect(() => reader.push(bad)).toThrow(FlvError);
    expect(() => reader.push(Buffer.alloc(0))).toThrow(FlvError);
  });
});

describe('FlvFileWriter', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'flv-writer-'));
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  /** Frames of a libx264 baseline stream (no B-frames, so pts = dts) and ffmpeg AAC frames. */
  function fixtureTags(): { tags: FlvTag[]; videoFrames: number; audioFrames: number } {
    const nals = splitAnnexB(readFileSync(join(FIXTURES, 'h264-testsrc-baseline-320x240-30f.h264')));
    const sps = nals.find((n) => nalType(n) === NalType.Sps)!;
    const pps = nals.find((n) => nalType(n) === NalType.Pps)!;
    const tags: FlvTag[] = [
      onMetaDataTag({ width: 320, height: 240, framerate: 30, videocodecid: 7, audiocodecid: 10, audiosamplerate: 48000, stereo: true }),
      avcSequenceHeaderTag(0, buildAvcDecoderConfigurationRecord([sps], [pps])),
      aacSequenceHeaderTag(0, buildAudioSpecificConfig({ objectType: 2, sampleRate: 48000, channels: 2 })),
    ];
    const video: FlvTag[] = [];
    let unit: Buffer[] = [];
    for (const nal of nals) {
      const type = nalType(nal);
      if (type === NalType.Sps || type === NalType.Pps) continue; // they live in the sequence header
      unit.push(nal);
      if (type === NalType.Idr || type === NalType.NonIdr) {
        video.push(avcNaluTag(Math.round((video.length * 1000) / 30), type === NalType.Idr, toAvcc(unit)));
        unit = [];
      }
    }
    const adts = new AdtsParser().push(readFileSync(join(FIXTURES, 'aac-lc-48000-stereo.adts')));
    const audio = adts.map((f, i) => aacRawTag(Math.round((i * 1024 * 1000) / 48000), f.payload));
    // interleave by timestamp, as the relay writes
    const media = [...video, ...audio].sort((a, b) => a.timestamp - b.timestamp || a.type - b.type);
    tags.push(...media, avcEndOfSequenceTag(video[video.length - 1].timestamp));
    return { tags, videoFrames: video.length, audioFrames: audio.length };
  }

  it('round-trips through readFlvFile', async () => {
    const { tags } = fixtureTags();
    const path = join(dir, 'roundtrip.flv');
    const writer = new FlvFileWriter(path, { hasAudio: true, hasVideo: true });
    for (const tag of tags) writer.write(tag);
    await writer.close();
    expect(await readAll(path)).toEqual(tags);
    const bytes = readFileSync(path);
    expect(bytes.subarray(0, 13)).toEqual(flvFileHeader(true, true));
    expect(bytes.length).toBe(13 + tags.reduce((n, t) => n + encodeFlvTag(t).length, 0));
  });

  it('writes a file ffprobe decodes: size, frame counts, audio format', async () => {
    const { tags, videoFrames, audioFrames } = fixtureTags();
    const path = join(dir, 'probe.flv');
    const writer = new FlvFileWriter(path, { hasAudio: true, hasVideo: true });
    for (const tag of tags) writer.write(tag);
    await writer.close();
    const out = execFileSync(
      'ffprobe',
      ['-v', 'error', '-count_frames', '-show_entries', 'stream=codec_type,codec_name,width,height,nb_read_frames,sample_rate,channels', '-of', 'json', path],
      { timeout: 20000 },
    ).toString();
    const streams = (JSON.parse(out) as { streams: Record<string, unknown>[] }).streams;
    expect(streams).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ codec_type: 'video', codec_name: 'h264', width: 320, height: 240, nb_read_frames: String(videoFrames) }),
        expect.objectContaining({ codec_type: 'audio', codec_name: 'aac', sample_rate: '48000', channels: 2, nb_read_frames: String(audioFrames) }),
      ]),
    );
    expect(videoFrames).toBe(30);
  });

  it('rejects writes after close, and close is idempotent', async () => {
    const writer = new FlvFileWriter(join(dir, 'closed.flv'), { hasAudio: false, hasVideo: true });
    const first = writer.close();
    expect(writer.close()).toBe(first);
    await first;
    expect(() => writer.write(avcEndOfSequenceTag(0))).toThrow(FlvError);
  });

  it('close rejects when the file cannot be written', async () => {
    const writer = new FlvFileWriter(join(dir, 'no-such-dir', 'x.flv'), { hasAudio: true, hasVideo: true });
    await expect(writer.close()).rejects.toThrow();
  });
});

describe('FlvReader tag bodies', () => {
  it('are buffers of their own, not views that keep the bytes pushed in alive', () => {
    const bytes = Buffer.alloc(readFileSync(FFMPEG_FLV).length);
    readFileSync(FFMPEG_FLV).copy(bytes);
    for (const step of [bytes.length, 65536, 3000]) {
      const reader = new FlvReader();
      const out: FlvTag[] = [];
      for (let i = 0; i < bytes.length; i += step) out.push(...reader.push(bytes.subarray(i, i + step)));
      expect(out.length).toBeGreaterThan(10);
      expect(out.filter((t) => t.data.buffer === bytes.buffer)).toHaveLength(0);
    }
  });
});
