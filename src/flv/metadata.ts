/**
 * onMetaData (FLV spec v10, E.5): stream properties as an AMF0 ECMA array. Over RTMP a
 * publisher sends it as a data message `@setDataFrame("onMetaData", {...})`; in an FLV
 * file it is the script tag `onMetaData {...}`.
 */
import { Amf0EcmaArray, Amf0Error, Amf0Object, Amf0Value, decodeAmf0, encodeAmf0 } from '../amf0';
import { FlvError, FlvTag, FlvTagType } from './flv-tag';

export interface StreamMetadata {
  width?: number;
  height?: number;
  framerate?: number;
  /** kbit/s */
  videodatarate?: number;
  /** FLV CodecID: 7 = AVC. */
  videocodecid?: number;
  /** kbit/s */
  audiodatarate?: number;
  audiosamplerate?: number;
  audiosamplesize?: number;
  stereo?: boolean;
  /** FLV SoundFormat: 10 = AAC. */
  audiocodecid?: number;
  encoder?: string;
  /** seconds */
  duration?: number;
  /** bytes */
  filesize?: number;
}

/**
 * Wire order: ffmpeg's FLV muxer order (libavformat/flvenc.c write_metadata), so captures
 * and our output line up; numbers are AMF0 doubles, `stereo` a boolean, `encoder` a
 * string, as ffmpeg and OBS write them. Data rates are kbit/s as the FLV spec says
 * (ffmpeg divides bit/s by 1024; players only display them).
 */
const FIELD_ORDER: readonly (keyof StreamMetadata)[] = [
  'duration',
  'width',
  'height',
  'videodatarate',
  'framerate',
  'videocodecid',
  'audiodatarate',
  'audiosamplerate',
  'audiosamplesize',
  'stereo',
  'audiocodecid',
  'encoder',
  'filesize',
];

type NumberField = Exclude<keyof StreamMetadata, 'stereo' | 'encoder'>;
const NUMBER_FIELDS = FIELD_ORDER.filter((k): k is NumberField => k !== 'stereo' && k !== 'encoder');

function toEcmaArray(meta: StreamMetadata): Amf0EcmaArray {
  const entries: Amf0Object = {};
  for (const key of FIELD_ORDER) {
    const value = meta[key];
    if (value !== undefined) entries[key] = value;
  }
  return new Amf0EcmaArray(entries);
}

/** ['@setDataFrame', 'onMetaData', ecma]: the body of an RTMP data message (type 18). */
export function onMetaDataValues(meta: StreamMetadata): Amf0Value[] {
  return ['@setDataFrame', 'onMetaData', toEcmaArray(meta)];
}

/** The FLV script tag: 'onMetaData', ecma, at timestamp 0. */
export function onMetaDataTag(meta: StreamMetadata): FlvTag {
  return { type: FlvTagType.Script, timestamp: 0, data: encodeAmf0('onMetaData', toEcmaArray(meta)) };
}

function isObject(v: Amf0Value): v is Amf0Object {
  return typeof v === 'object' && v !== null && !(v instanceof Date) && !Array.isArray(v) && !(v instanceof Amf0EcmaArray);
}

/**
 * Reads onMetaData from a script tag or RTMP data message body, with or without the
 * '@setDataFrame' prefix, as an ECMA array or a plain object. Fields of the wrong
 * type are left out. Returns undefined for well-formed script data that is not
 * onMetaData; throws FlvError when the AMF0 is malformed.
 */
export function parseMetadata(data: Buffer): StreamMetadata | undefined {
  let values: Amf0Value[];
  try {
    values = decodeAmf0(data);
  } catch (err) {
    if (err instanceof Amf0Error) throw new FlvError(`malformed script data: ${err.message}`);
    throw err;
  }
  if (values[0] === '@setDataFrame') values = values.slice(1);
  if (values[0] !== 'onMetaData') return undefined;
  const body = values[1];
  const entries = body instanceof Amf0EcmaArray ? body.entries : isObject(body) ? body : undefined;
  if (!entries) return undefined;
  const meta: StreamMetadata = {};
  for (const key of NUMBER_FIELDS) {
    const v = entries[key];
    if (typeof v === 'number') meta[key] = v;
  }
  if (typeof entries.stereo === 'boolean') meta.stereo = entries.stereo;
  if (typeof entries.encoder === 'string') meta.encoder = entries.encoder;
  return meta;
}
