/**
 * Message type ids and user control event types (Adobe RTMP specification 1.0,
 * sections 5.4, 6.2 and 7.1), plus the message shape shared by the chunk encoder,
 * the chunk decoder and the message builders.
 *
 * Plain `as const` objects rather than `const enum`: the project compiles with
 * isolatedModules, where const enums do not cross files.
 */
export const MessageType = {
  SetChunkSize: 1,
  Abort: 2,
  Acknowledgement: 3,
  UserControl: 4,
  WindowAckSize: 5,
  SetPeerBandwidth: 6,
  Audio: 8,
  Video: 9,
  DataAmf3: 15,
  SharedObjectAmf3: 16,
  CommandAmf3: 17,
  DataAmf0: 18,
  SharedObjectAmf0: 19,
  CommandAmf0: 20,
  Aggregate: 22,
} as const;
export type MessageTypeId = (typeof MessageType)[keyof typeof MessageType];

export const UserControlEvent = {
  StreamBegin: 0,
  StreamEof: 1,
  StreamDry: 2,
  SetBufferLength: 3,
  StreamIsRecorded: 4,
  PingRequest: 6,
  PingResponse: 7,
} as const;
export type UserControlEventId = (typeof UserControlEvent)[keyof typeof UserControlEvent];

/** Chunk stream id reserved for protocol control messages (spec 5.4, 6.2). */
export const CONTROL_CHUNK_STREAM_ID = 2;
/** Message stream id of the control stream (spec 5.4, 6.2). */
export const CONTROL_MESSAGE_STREAM_ID = 0;

/** One whole RTMP message, as the chunk layer carries it. */
export interface RtmpMessage {
  /** 2..65599; 2 is reserved for protocol control messages. */
  chunkStreamId: number;
  /** Milliseconds, uint32 (wraps). */
  timestamp: number;
  /** One of MessageType (other values are carried through untouched). */
  typeId: number;
  /** uint32; 0 is the control stream / NetConnection. */
  messageStreamId: number;
  /** At most 0xFFFFFF bytes: the message length field has 3 bytes. */
  payload: Buffer;
}
