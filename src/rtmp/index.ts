/** Public surface of the RTMP wire code (pure: no sockets, timers or loggers). */
export { RtmpProtocolError } from './errors';
export {
  MessageType,
  UserControlEvent,
  CONTROL_CHUNK_STREAM_ID,
  CONTROL_MESSAGE_STREAM_ID,
  type MessageTypeId,
  type UserControlEventId,
  type RtmpMessage,
} from './message-types';
export {
  ChunkEncoder,
  DEFAULT_CHUNK_SIZE,
  MAX_CHUNK_SIZE,
  MAX_MESSAGE_LENGTH,
  MIN_CHUNK_STREAM_ID,
  MAX_CHUNK_STREAM_ID,
} from './chunk-encoder';
export { ChunkDecoder, DEFAULT_MAX_MESSAGE_SIZE, type ChunkDecoderOptions } from './chunk-decoder';
export {
  RTMP_VERSION,
  HANDSHAKE_SIZE,
  createC0C1,
  createC2,
  ClientHandshake,
  type HandshakeStep,
} from './handshake';
export {
  setChunkSizeMessage,
  abortMessage,
  acknowledgementMessage,
  windowAckSizeMessage,
  setPeerBandwidthMessage,
  userControlMessage,
  pingResponseMessage,
  setBufferLengthMessage,
  parseControlMessage,
  PeerBandwidthLimit,
  type PeerBandwidthLimitType,
  type ControlMessage,
  type UserControlMessage,
} from './control-messages';
export {
  encodeCommand,
  decodeCommand,
  decodeCommandMessage,
  commandMessage,
  dataMessage,
  type RtmpCommand,
  type CommandMessageOptions,
  type DataMessageOptions,
} from './command-messages';
