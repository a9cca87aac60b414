/**
 * Protocol control messages (Adobe RTMP specification 1.0, 5.4) and user control
 * events (7.1.7), payloads written by hand from the spec; all on chunk stream 2,
 * message stream 0.
 */
import {
  abortMessage,
  acknowledgementMessage,
  parseControlMessage,
  pingResponseMessage,
  setBufferLengthMessage,
  setChunkSizeMessage,
  setPeerBandwidthMessage,
  userControlMessage,
  windowAckSizeMessage,
  type ControlMessage,
} from '../../src/rtmp/control-messages';
import { ChunkEncoder } from '../../src/rtmp/chunk-encoder';
import { RtmpProtocolError } from '../../src/rtmp/errors';
import type { RtmpMessage } from '../../src/rtmp/message-types';
import { hex } from './helpers';

interface Case {
  name: string;
  /** What our builder makes; undefined for messages only a server sends. */
  built?: RtmpMessage;
  typeId: number;
  payload: Buffer;
  parsed: ControlMessage;
}

const CASES: Case[] = [
  {
    name: 'Set Chunk Size 4096',
    built: setChunkSizeMessage(4096),
    typeId: 1,
    payload: hex('00001000'), // 31-bit size, top bit 0
    parsed: { kind: 'setChunkSize', size: 4096 },
  },
  {
    name: 'Abort chunk stream 4',
    built: abortMessage(4),
    typeId: 2,
    payload: hex('00000004'),
    parsed: { kind: 'abort', chunkStreamId: 4 },
  },
  {
    name: 'Acknowledgement 0x12345678',
    built: acknowledgementMessage(0x12345678),
    typeId: 3,
    payload: hex('12345678'), // sequence number: bytes received
    parsed: { kind: 'ack', sequenceNumber: 0x12345678 },
  },
  {
    name: 'Window Acknowledgement Size 2500000',
    built: windowAckSizeMessage(2500000),
    typeId: 5,
    payload: hex('002625a0'),
    parsed: { kind: 'windowAckSize', size: 2500000 },
  },
  {
    name: 'Set Peer Bandwidth 2500000, dynamic',
    built: setPeerBandwidthMessage(2500000, 2),
    typeId: 6,
    payload: hex('002625a0', '02'), // window size, limit type 2 (dynamic)
    parsed: { kind: 'setPeerBandwidth', size: 2500000, limitType: 2 },
  },
  {
    name: 'User Control StreamBegin stream 1',
    built: userControlMessage(0, hex('00000001')),
    typeId: 4,
    payload: hex('0000', '00000001'), // event type 0, stream id
    parsed: { kind: 'userControl', event: 0, streamId: 1, data: hex('00000001') },
  },
  {
    name: 'User Control StreamIsRecorded stream 1',
    typeId: 4,
    payload: hex('0004', '00000001'),
    parsed: { kind: 'userControl', event: 4, streamId: 1, data: hex('00000001') },
  },
  {
    name: 'User Control SetBufferLength stream 1, 3000 ms',
    built: setBufferLengthMessage(1, 3000),
    typeId: 4,
    payload: hex('0003', '00000001', '00000bb8'), // event 3, stream id, buffer length ms
    parsed: { kind: 'userControl', event: 3, streamId: 1, bufferLength: 3000, data: hex('00000001', '00000bb8') },
  },
  {
    name: 'User Control PingRequest',
    typeId: 4,
    payload: hex('0006', '11223344'), // event 6, server timestamp
    parsed: { kind: 'userControl', event: 6, timestamp: 0x11223344, data: hex('11223344') },
  },
  {
    name: 'User Control PingResponse',
    built: pingResponseMessage(0x11223344),
    typeId: 4,
    payload: hex('0007', '11223344'),
    parsed: { kind: 'userControl', event: 7, timestamp: 0x11223344, data: hex('11223344') },
  },
  {
    name: 'User Control event we do not know (31, buffer empty) keeps its data',
    typeId: 4,
    payload: hex('001f', '00000001'),
    parsed: { kind: 'userControl', event: 31, data: hex('00000001') },
  },
];

const control = (typeId: number, payload: Buffer): RtmpMessage => ({ chunkStreamId: 2, timestamp: 0, typeId, messageStreamId: 0, payload });

describe('control message vectors', () => {
  test.each(CASES.filter((c) => c.built).map((c) => [c.name, c] as const))('builds %s', (_name, c) => {
    const m = c.built as RtmpMessage;
    expect({ ...m, payload: m.payload.toString('hex') }).toEqual({ ...control(c.typeId, c.payload), payload: c.payload.toString('hex') });
  });

  test.each(CASES.map((c) => [c.name, c] as const))('parses %s', (_name, c) => {
    expect(parseControlMessage(control(c.typeId, c.payload))).toEqual(c.parsed);
  });

  test('Set Chunk Size on the wire, whole chunk', () => {
    expect(new ChunkEncoder().encode(setChunkSizeMessage(4096)).toString('hex')).toBe(
      '02' + // fmt 0, csid 2
        '000000' + // timestamp 0
        '000004' + // length 4
        '01' + // type 1
        '00000000' + // message stream 0
        '00001000', // 4096
    );
  });

  test('acknowledgement sequence numbers wrap at 2^32', () => {
    expect(acknowledgementMessage(2 ** 32 + 7).payload.toString('hex')).toBe('00000007');
  });

  test('messages that are not control messages parse to undefined', () => {
    for (const typeId of [8, 9, 18, 20, 22]) expect(parseControlMessage(control(typeId, hex('00')))).toBeUndefined();
  });

  test('extra trailing bytes are ignored', () => {
    expect(parseControlMessage(control(3, hex('00000001', 'ffff')))).toEqual({ kind: 'ack', sequenceNumber: 1 });
  });
});

describe('control message parser refuses truncated or invalid payloads', () => {
  const BAD: Array<[string, number, Buffer]> = [
    ['Set Chunk Size of 3 bytes', 1, hex('000010')],
    ['Set Chunk Size 0', 1, hex('00000000')],
    ['Set Chunk Size with the top bit set', 1, hex('80000000')],
    ['Abort of 2 bytes', 2, hex('0000')],
    ['Acknowledgement of 0 bytes', 3, hex('')],
    ['Window Ack Size of 3 bytes', 5, hex('002625')],
    ['Set Peer Bandwidth without limit type', 6, hex('002625a0')],
    ['Set Peer Bandwidth with limit type 3', 6, hex('002625a0', '03')],
    ['User Control of 1 byte', 4, hex('00')],
    ['StreamBegin without its stream id', 4, hex('0000', '0000')],
    ['SetBufferLength without its length', 4, hex('0003', '00000001')],
    ['PingRequest without its timestamp', 4, hex('0006')],
  ];
  test.each(BAD)('%s', (_name, typeId, payload) => {
    expect(() => parseControlMessage(control(typeId, payload))).toThrow(RtmpProtocolError);
  });
});

describe('control message builders refuse values the fields cannot carry', () => {
  test.each([
    ['chunk size 0', () => setChunkSizeMessage(0)],
    ['chunk size 2^31', () => setChunkSizeMessage(0x80000000)],
    ['window size -1', () => windowAckSizeMessage(-1)],
    ['peer bandwidth 2^32', () => setPeerBandwidthMessage(2 ** 32, 0)],
    ['limit type 3', () => setPeerBandwidthMessage(1, 3 as 0)],
    ['event type 65536', () => userControlMessage(65536, Buffer.alloc(0))],
  ])('%s', (_name, build) => {
    expect(build).toThrow(RangeError);
  });
});
