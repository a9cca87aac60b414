/**
 * Protocol control messages (Adobe RTMP specification 1.0, 5.4) and user control
 * messages (6.2 / 7.1.7): builders on chunk stream 2, message stream 0, timestamp 0,
 * and one parser giving a typed union.
 *
 * Payload layouts (all big-endian):
 *   Set Chunk Size (1)       size U32, top bit 0
 *   Abort (2)                chunk stream id U32
 *   Acknowledgement (3)      sequence number U32 (bytes received so far)
 *   User Control (4)         event type U16 | event data
 *   Window Ack Size (5)      window size U32
 *   Set Peer Bandwidth (6)   window size U32 | limit type U8 (0 hard, 1 soft, 2 dynamic)
 */
import { RtmpProtocolError } from './errors';
import {
  CONTROL_CHUNK_STREAM_ID,
  CONTROL_MESSAGE_STREAM_ID,
  MessageType,
  UserControlEvent,
  type RtmpMessage,
} from './message-types';

export type PeerBandwidthLimitType = 0 | 1 | 2;

export const PeerBandwidthLimit = { Hard: 0, Soft: 1, Dynamic: 2 } as const;

export type ControlMessage =
  | { kind: 'setChunkSize'; size: number }
  | { kind: 'abort'; chunkStreamId: number }
  | { kind: 'ack'; sequenceNumber: number }
  | { kind: 'windowAckSize'; size: number }
  | { kind: 'setPeerBandwidth'; size: number; limitType: PeerBandwidthLimitType }
  | UserControlMessage;

/**
 * A user control event. `streamId` is set for StreamBegin/Eof/Dry/IsRecorded and
 * SetBufferLength (which also sets `bufferLength`, ms); `timestamp` for PingRequest and
 * PingResponse. `data` is the raw event data, also for event types we do not know
 * (servers send others, e.g. buffer empty/ready 31/32).
 */
export interface UserControlMessage {
  kind: 'userControl';
  event: number;
  streamId?: number;
  bufferLength?: number;
  timestamp?: number;
  data: Buffer;
}

const MAX_CHUNK_SIZE = 0x7fffffff;

function control(typeId: number, payload: Buffer): RtmpMessage {
  return {
    chunkStreamId: CONTROL_CHUNK_STREAM_ID,
    timestamp: 0,
    typeId,
    messageStreamId: CONTROL_MESSAGE_STREAM_ID,
    payload,
  };
}

function u32Payload(value: number, what: string): Buffer {
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) {
    throw new RangeError(`${what} must be a uint32, got ${value}`);
  }
  const b = Buffer.allocUnsafe(4);
  b.writeUInt32BE(value, 0);
  return b;
}

export function setChunkSizeMessage(size: number): RtmpMessage {
  if (!Number.isInteger(size) || size < 1 || size > MAX_CHUNK_SIZE) {
    throw new RangeError(`chunk size must be in 1..${MAX_CHUNK_SIZE}, got ${size}`);
  }
  return control(MessageType.SetChunkSize, u32Payload(size, 'chunk size'));
}

export function abortMessage(chunkStreamId: number): RtmpMessage {
  return control(MessageType.Abort, u32Payload(chunkStreamId, 'chunk stream id'));
}

/** `sequenceNumber` counts bytes received; it wraps at 2^32 like the field. */
export function acknowledgementMessage(sequenceNumber: number): RtmpMessage {
  return control(MessageType.Acknowledgement, u32Payload(Math.trunc(sequenceNumber) >>> 0, 'sequence number'));
}

export function windowAckSizeMessage(size: number): RtmpMessage {
  return control(MessageType.WindowAckSize, u32Payload(size, 'window size'));
}

export function setPeerBandwidthMessage(size: number, limitType: PeerBandwidthLimitType): RtmpMessage {
  if (limitType !== 0 && limitType !== 1 && limitType !== 2) {
    throw new RangeError(`peer bandwidth limit type must be 0, 1 or 2, got ${limitType}`);
  }
  const b = Buffer.allocUnsafe(5);
  u32Payload(size, 'peer bandwidth').copy(b, 0);
  b[4] = limitType;
  return control(MessageType.SetPeerBandwidth, b);
}

export function userControlMessage(eventType: number, eventData: Buffer): RtmpMessage {
  if (!Number.isInteger(eventType) || eventType < 0 || eventType > 0xffff) {
    throw new RangeError(`user control event type must be a uint16, got ${eventType}`);
  }
  const b = Buffer.allocUnsafe(2 + eventData.length);
  b.writeUInt16BE(eventType, 0);
  eventData.copy(b, 2);
  return control(MessageType.UserControl, b);
}

/** PingResponse echoing the timestamp of the server's PingRequest. */
export function pingResponseMessage(timestamp: number): RtmpMessage {
  return userControlMessage(UserControlEvent.PingResponse, u32Payload(Math.trunc(timestamp) >>> 0, 'timestamp'));
}

/** SetBufferLength: stream id U32 | buffer length in ms U32. */
export function setBufferLengthMessage(streamId: number, bufferLengthMs: number): RtmpMessage {
  return userControlMessage(
    UserControlEvent.SetBufferLength,
    Buffer.concat([u32Payload(streamId, 'stream id'), u32Payload(bufferLengthMs, 'buffer length')]),
  );
}

/**
 * The control message carried by `msg`, or undefined when its type id is not a
 * control type (1..6). Throws RtmpProtocolError when the payload is too short or a
 * field is out of range. Extra trailing bytes are ignored.
 */
export function parseControlMessage(msg: RtmpMessage): ControlMessage | undefined {
  const p = msg.payload;
  switch (msg.typeId) {
    case MessageType.SetChunkSize: {
      const size = readU32(p, 0, 'Set Chunk Size');
      if (size === 0 || size > MAX_CHUNK_SIZE) throw new RtmpProtocolError(`invalid chunk size ${size}`);
      return { kind: 'setChunkSize', size };
    }
    case MessageType.Abort:
      return { kind: 'abort', chunkStreamId: readU32(p, 0, 'Abort') };
    case MessageType.Acknowledgement:
      return { kind: 'ack', sequenceNumber: readU32(p, 0, 'Acknowledgement') };
    case MessageType.WindowAckSize:
      return { kind: 'windowAckSize', size: readU32(p, 0, 'Window Acknowledgement Size') };
    case MessageType.SetPeerBandwidth: {
      const size = readU32(p, 0, 'Set Peer Bandwidth');
      if (p.length < 5) throw truncated('Set Peer Bandwidth', p.length);
      const limitType = p[4];
      if (limitType > 2) throw new RtmpProtocolError(`invalid peer bandwidth limit type ${limitType}`);
      return { kind: 'setPeerBandwidth', size, limitType: limitType as PeerBandwidthLimitType };
    }
    case MessageType.UserControl:
      return parseUserControl(p);
    default:
      return undefined;
  }
}

function parseUserControl(p: Buffer): UserControlMessage {
  if (p.length < 2) throw truncated('User Control', p.length);
  const event = p.readUInt16BE(0);
  const data = p.subarray(2);
  const what = `User Control event ${event}`;
  switch (event) {
    case UserControlEvent.StreamBegin:
    case UserControlEvent.StreamEof:
    case UserControlEvent.StreamDry:
    case UserControlEvent.StreamIsRecorded:
      return { kind: 'userControl', event, streamId: readU32(data, 0, what), data };
    case UserControlEvent.SetBufferLength:
      return {
        kind: 'userControl',
        event,
        streamId: readU32(data, 0, what),
        bufferLength: readU32(data, 4, what),
        data,
      };
    case UserControlEvent.PingRequest:
    case UserControlEvent.PingResponse:
      return { kind: 'userControl', event, timestamp: readU32(data, 0, what), data };
    default:
      return { kind: 'userControl', event, data };
  }
}

function readU32(p: Buffer, offset: number, what: string): number {
  if (p.length < offset + 4) throw truncated(what, p.length);
  return p.readUInt32BE(offset);
}

function truncated(what: string, length: number): RtmpProtocolError {
  return new RtmpProtocolError(`${what} payload truncated (${length} bytes)`);
}
