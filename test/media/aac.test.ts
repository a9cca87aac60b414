import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  AacError,
  AdtsParser,
  buildAudioSpecificConfig,
  parseAdtsHeader,
  parseAudioSpecificConfig,
} from '../../src/media/aac';

const FIXTURES = join(__dirname, '..', 'fixtures');
const hex = (s: string): Buffer => Buffer.from(s.replace(/\/\/[^\n]*/g, '').replace(/\s+/g, ''), 'hex');
const probe = JSON.parse(readFileSync(join(FIXTURES, 'media-fixtures.ffprobe.json'), 'utf8')) as Record<
  string,
  { streams: { sample_rate: string; channels: number; nb_read_frames: string; profile: string }[] }
>;

describe('AudioSpecificConfig (ISO/IEC 14496-3 1.6.2.1)', () => {
  // audioObjectType(5) samplingFrequencyIndex(4) channelConfiguration(4)
  // GASpecificConfig: frameLengthFlag 0, dependsOnCoreCoder 0, extensionFlag 0
  const cases = [
    { name: 'AAC-LC 48 kHz stereo', bytes: '1190', asc: { objectType: 2, sampleRate: 48000, channels: 2 } }, // 00010 0011 0010 000
    { name: 'AAC-LC 44.1 kHz stereo', bytes: '1210', asc: { objectType: 2, sampleRate: 44100, channels: 2 } }, // 00010 0100 0010 000
    { name: 'AAC-LC 8 kHz mono', bytes: '1588', asc: { objectType: 2, sampleRate: 8000, channels: 1 } }, // 00010 1011 0001 000
    { name: 'AAC-LC 16 kHz mono', bytes: '1408', asc: { objectType: 2, sampleRate: 16000, channels: 1 } }, // 00010 1000 0001 000
    // index 15 escape: 24-bit samplingFrequency 37800 = 0x0093a8
    { name: 'explicit 37.8 kHz stereo', bytes: '178049d410', asc: { objectType: 2, sampleRate: 37800, channels: 2 } },
    // channelConfiguration 7 is 7.1 = 8 channels
    { name: 'AAC-LC 48 kHz 7.1', bytes: '11b8', asc: { objectType: 2, sampleRate: 48000, channels: 8 } }, // 00010 0011 0111 000
  ];
  it.each(cases)('builds $name', ({ bytes, asc }) => {
    expect(buildAudioSpecificConfig(asc).toString('hex')).toBe(bytes);
  });
  it.each(cases)('parses $name', ({ bytes, asc }) => {
    expect(parseAudioSpecificConfig(hex(bytes))).toEqual(asc);
  });

  it('parses the config ffmpeg puts in FLV, ignoring its SBR sync extension', () => {
    // 12 10 = LC 44.1 kHz stereo; 56 e5 00 = syncExtensionType 0x2b7, SBR absent
    expect(parseAudioSpecificConfig(hex('121056e500'))).toEqual({ objectType: 2, sampleRate: 44100, channels: 2 });
  });

  it('rejects reserved sampling indexes, object type 0, truncation and impossible channel counts', () => {
    expect(() => parseAudioSpecificConfig(hex('16'))).toThrow(AacError);
    expect(() => parseAudioSpecificConfig(hex('1690'))).toThrow(AacError); // index 13
    expect(() => parseAudioSpecificConfig(hex('0190'))).toThrow(AacError); // object type 0
    expect(() => parseAudioSpecificConfig(Buffer.alloc(0))).toThrow(AacError);
    expect(() => buildAudioSpecificConfig({ objectType: 2, sampleRate: 48000, channels: 7 })).toThrow(AacError);
    expect(() => buildAudioSpecificConfig({ objectType: 0, sampleRate: 48000, channels: 2 })).toThrow(AacError);
  });
});

describe('ADTS (ISO/IEC 14496-3 1.A.2)', () => {
  // syncword fff | ID 0 | layer 00 | protection_absent 1            → ff f1
  // profile 01 (LC) | sf_index 0011 (48k) | private 0 | channel_cfg 0 → 4c
  // channel_cfg 10 | original 0 | home 0 | copyright 00 | frame_length 00 → 80
  // frame_length 00000001 011 (11 bytes) | buffer_fullness 7ff | raw blocks 00 → 01 7f fc
  const LC_48K_STEREO = 'fff14c80017ffc';

  it('reads every header field', () => {
    expect(parseAdtsHeader(hex(LC_48K_STEREO + 'deadbeef'))).toEqual({
      objectType: 2,
      sampleRate: 48000,
      channels: 2,
      frameLength: 11,
      headerLength: 7,
      rawDataBlocks: 1,
    });
    // protection_absent 0 (ff f0): 2 CRC bytes follow; LC 8 kHz (index 1011) mono; frame 13 bytes
    // 01 1011 0 0 → 6c | 01 0 0 00 00 → 40 | 00000001 → 01 | 101 11111 → bf | 111111 00 → fc
    expect(parseAdtsHeader(hex('fff06c4001bffc'))).toMatchObject({
      sampleRate: 8000,
      channels: 1,
      frameLength: 13,
      headerLength: 9,
    });
  });

  it('returns frames without header or CRC, across any split of the bytes', () => {
    const stream = hex(`${LC_48K_STEREO} 01020304  fff06c4001bffc cccc 0a0b0c0d`);
    for (let split = 0; split <= stream.length; split++) {
      const parser = new AdtsParser();
      const frames = [...parser.push(stream.subarray(0, split)), ...parser.push(stream.subarray(split))];
      expect(frames.map((f) => f.payload.toString('hex'))).toEqual(['01020304', '0a0b0c0d']);
      expect(frames.map((f) => f.sampleRate)).toEqual([48000, 8000]);
    }
  });

  it('resyncs on the next syncword after garbage', () => {
    const parser = new AdtsParser();
    const frames = parser.push(hex(`00 ff 12 fff9 ffff 3344 ${LC_48K_STEREO} 01020304 ${LC_48K_STEREO} 05060708`));
    expect(frames.map((f) => f.payload.toString('hex'))).toEqual(['01020304', '05060708']);
  });

  it.each([
    ['aac-lc-48000-stereo.adts', 48000, 2],
    ['aac-lc-8000-mono.adts', 8000, 1],
  ])('%s from ffmpeg: frame count, rate and channels equal ffprobe', (file, rate, channels) => {
    const stream = probe[file].streams[0];
    expect([Number(stream.sample_rate), stream.channels]).toEqual([rate, channels]);
    const data = readFileSync(join(FIXTURES, file));
    const parser = new AdtsParser();
    const frames: ReturnType<AdtsParser['push']> = [];
    for (let i = 0; i < data.length; i += 100) frames.push(...parser.push(data.subarray(i, i + 100)));
    expect(frames).toHaveLength(Number(stream.nb_read_frames));
    for (const f of frames) expect(f).toMatchObject({ objectType: 2, sampleRate: rate, channels });
  });
});
