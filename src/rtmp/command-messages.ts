/**
 * Command messages (type 20, AMF0; type 17, AMF3 container) and data messages
 * (type 18, AMF0), Adobe RTMP specification 1.0, 7.1.1, 7.1.2 and 7.2.
 *
 * A command body is: command name (string) | transaction id (number) | command
 * object (object or null) | optional further arguments, all AMF0 values.
 */
import { Amf0Error, decodeAmf0, encodeAmf0, type Amf0Value } from '../amf0';
import { RtmpProtocolError } from './errors';
import { MessageType, type RtmpMessage } from './message-types';

export interface RtmpCommand {
  name: string;
  transactionId: number;
  /** null for most commands but connect; a missing one decodes as null. */
  commandObject: Amf0Value;
  args: Amf0Value[];
}

export interface CommandMessageOptions {
  chunkStreamId: number;
  messageStreamId: number;
  timestamp?: number;
}

export interface DataMessageOptions {
  chunkStreamId: number;
  messageStreamId: number;
  timestamp: number;
}

/** The command body (payload only). */
export function encodeCommand(cmd: RtmpCommand): Buffer {
  return encodeAmf0(cmd.name, cmd.transactionId, cmd.commandObject, ...cmd.args);
}

/** Parses a type-20 payload; throws RtmpProtocolError when it is not a command. */
export function decodeCommand(payload: Buffer): RtmpCommand {
  const values = decodeAmf0Values(payload);
  const [name, transactionId] = values;
  if (typeof name !== 'string') {
    throw new RtmpProtocolError('command message does not start with a command name string');
  }
  if (typeof transactionId !== 'number') {
    throw new RtmpProtocolError(`command "${name}" has no numeric transaction id`);
  }
  return {
    name,
    transactionId,
    commandObject: values.length > 2 ? values[2] : null,
    args: values.slice(3),
  };
}

/** AMF0 values of an RTMP message; bad AMF0 becomes this layer's RtmpProtocolError. */
function decodeAmf0Values(payload: Buffer): Amf0Value[] {
  try {
    return decodeAmf0(payload);
  } catch (err) {
    if (err instanceof Amf0Error) throw new RtmpProtocolError(`malformed command: ${err.message}`);
    throw err;
  }
}

/**
 * Parses a command message of type 20, or of type 17 whose body, after its leading
 * format byte 0x00, is AMF0 too (what servers answer to an AMF3 client).
 */
export function decodeCommandMessage(msg: RtmpMessage): RtmpCommand {
  if (msg.typeId === MessageType.CommandAmf0) return decodeCommand(msg.payload);
  if (msg.typeId === MessageType.CommandAmf3) {
    if (msg.payload.length < 1 || msg.payload[0] !== 0) {
      throw new RtmpProtocolError('AMF3 command message is not AMF0-encoded');
    }
    return decodeCommand(msg.payload.subarray(1));
  }
  throw new RtmpProtocolError(`message type ${msg.typeId} is not a command`);
}

export function commandMessage(cmd: RtmpCommand, opts: CommandMessageOptions): RtmpMessage {
  return {
    chunkStreamId: opts.chunkStreamId,
    timestamp: opts.timestamp ?? 0,
    typeId: MessageType.CommandAmf0,
    messageStreamId: opts.messageStreamId,
    payload: encodeCommand(cmd),
  };
}

/** A data message, e.g. ['@setDataFrame', 'onMetaData', new Amf0EcmaArray({...})]. */
export function dataMessage(values: Amf0Value[], opts: DataMessageOptions): RtmpMessage {
  return {
    chunkStreamId: opts.chunkStreamId,
    timestamp: opts.timestamp,
    typeId: MessageType.DataAmf0,
    messageStreamId: opts.messageStreamId,
    payload: encodeAmf0(...values),
  };
}
