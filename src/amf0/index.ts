/** Public surface of AMF0 (used by rtmp/ and flv/; imports nothing of theirs). */
export {
  encodeAmf0,
  decodeAmf0,
  Amf0EcmaArray,
  Amf0Marker,
  AMF0_MAX_DEPTH,
  type Amf0Object,
  type Amf0Value,
} from './amf0';
export { Amf0Error } from './amf0-error';
