import { onMetaDataTag, onMetaDataValues, parseMetadata, FlvError } from '../../src/flv';
import { Amf0EcmaArray, encodeAmf0 } from '../../src/amf0';

/** Hex with `//` comments naming each field (AMF0 spec 2.2 number, 2.4 string, 2.10 ECMA array). */
const hex = (s: string): Buffer => Buffer.from(s.replace(/\/\/[^\n]*/g, '').replace(/\s+/g, ''), 'hex');

const META = {
  width: 1280,
  height: 720,
  framerate: 30,
  videocodecid: 7,
  audiosamplerate: 48000,
  stereo: true,
  audiocodecid: 10,
  encoder: 'rtmp-transponder',
};

// The ECMA array in ffmpeg's field order (duration, width, height, videodatarate, framerate,
// videocodecid, audiodatarate, audiosamplerate, audiosamplesize, stereo, audiocodecid, encoder, filesize).
const ECMA = `
  08 00000008                                     // ECMA array marker, 8 entries
  0005 7769647468                00 4094000000000000  // "width" 1280.0
  0006 686569676874              00 4086800000000000  // "height" 720.0
  0009 6672616d6572617465        00 403e000000000000  // "framerate" 30.0
  000c 766964656f636f6465636964  00 401c000000000000  // "videocodecid" 7.0
  000f 617564696f73616d706c6572617465 00 40e7700000000000  // "audiosamplerate" 48000.0
  0006 73746572656f              01 01                // "stereo" true
  000c 617564696f636f6465636964  00 4024000000000000  // "audiocodecid" 10.0
  0007 656e636f646572            02 0010 72746d702d7472616e73706f6e646572  // "encoder" "rtmp-transponder"
  0000 09                                          // object end
`;
const ON_METADATA = '02 000a 6f6e4d65746144617461'; // string "onMetaData"
const SET_DATA_FRAME = '02 000d 40736574446174614672616d65'; // string "@setDataFrame"

describe('onMetaData (FLV spec v10, E.5)', () => {
  it('builds the FLV script tag body', () => {
    const tag = onMetaDataTag(META);
    expect(tag.type).toBe(18);
    expect(tag.timestamp).toBe(0);
    expect(tag.data.toString('hex')).toBe(hex(ON_METADATA + ECMA).toString('hex'));
  });

  it('builds the RTMP data message values', () => {
    expect(encodeAmf0(...onMetaDataValues(META)).toString('hex')).toBe(hex(SET_DATA_FRAME + ON_METADATA + ECMA).toString('hex'));
  });

  // Every field ffmpeg's FLV muxer (libavformat/flvenc.c, write_metadata) writes for H.264 +
  // AAC, in its order: duration, width, height, videodatarate, framerate, videocodecid,
  // audiodatarate, audiosamplerate, audiosamplesize, stereo, audiocodecid, encoder, filesize.
  // All numbers are AMF0 doubles (marker 00), stereo a boolean (01), encoder a string (02).
  it('writes every field in the order and AMF0 types of ffmpeg\'s FLV muxer, whatever order they are given in', () => {
    const full = {
      encoder: 'rtmp-transponder',
      filesize: 0,
      audiocodecid: 10,
      stereo: true,
      audiosamplesize: 16,
      audiosamplerate: 48000,
      audiodatarate: 128,
      videocodecid: 7,
      framerate: 20,
      videodatarate: 160,
      height: 480,
      width: 640,
      duration: 0,
    };
    const ecma = `
      08 0000000d                                               // ECMA array marker, 13 entries
      0008 6475726174696f6e               00 0000000000000000   // "duration" 0
      0005 7769647468                     00 4084000000000000   // "width" 640
      0006 686569676874                   00 407e000000000000   // "height" 480
      000d 766964656f6461746172617465     00 4064000000000000   // "videodatarate" 160 (kbit/s)
      0009 6672616d6572617465             00 4034000000000000   // "framerate" 20
      000c 766964656f636f6465636964       00 401c000000000000   // "videocodecid" 7 (AVC)
      000d 617564696f6461746172617465     00 4060000000000000   // "audiodatarate" 128 (kbit/s)
      000f 617564696f73616d706c6572617465 00 40e7700000000000   // "audiosamplerate" 48000
      000f 617564696f73616d706c6573697a65 00 4030000000000000   // "audiosamplesize" 16
      0006 73746572656f                   01 01                 // "stereo" true
      000c 617564696f636f6465636964       00 4024000000000000   // "audiocodecid" 10 (AAC)
      0007 656e636f646572                 02 0010 72746d702d7472616e73706f6e646572 // "encoder" "rtmp-transponder"
      0008 66696c6573697a65               00 0000000000000000   // "filesize" 0
      0000 09                                                   // object end
    `;
    expect(encodeAmf0(...onMetaDataValues(full)).toString('hex')).toBe(hex(SET_DATA_FRAME + ON_METADATA + ecma).toString('hex'));
    expect(parseMetadata(hex(SET_DATA_FRAME + ON_METADATA + ecma))).toEqual(full);
  });

  it.each([
    ['script tag', ON_METADATA + ECMA],
    ['@setDataFrame data message', SET_DATA_FRAME + ON_METADATA + ECMA],
  ])('parses the %s', (_name, bytes) => {
    expect(parseMetadata(hex(bytes))).toEqual(META);
  });

  it('leaves out missing fields and fields of the wrong type', () => {
    expect(onMetaDataTag({}).data).toEqual(hex(ON_METADATA + '08 00000000 0000 09'));
    const odd = encodeAmf0('onMetaData', { width: '640', height: 480, stereo: 1, encoder: 'x' });
    expect(parseMetadata(odd)).toEqual({ height: 480, encoder: 'x' });
  });

  it('returns undefined for other script data, throws FlvError on malformed AMF0', () => {
    expect(parseMetadata(encodeAmf0('onCuePoint', new Amf0EcmaArray({})))).toBeUndefined();
    expect(parseMetadata(encodeAmf0('onMetaData', 5))).toBeUndefined();
    expect(parseMetadata(Buffer.alloc(0))).toBeUndefined();
    expect(() => parseMetadata(hex('02 000a 6f6e4d65'))).toThrow(FlvError);
  });
});
