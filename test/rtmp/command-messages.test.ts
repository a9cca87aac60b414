/**
 * Command (type 20) and data (type 18) messages, Adobe RTMP specification 1.0,
 * 7.1.1, 7.2.1.1 (connect) and 7.2.2.6 (publish); AMF0 bytes written by hand.
 */
import { Amf0EcmaArray } from '../../src/amf0';
import {
  commandMessage,
  dataMessage,
  decodeCommand,
  decodeCommandMessage,
  encodeCommand,
  type RtmpCommand,
} from '../../src/rtmp/command-messages';
import { RtmpProtocolError } from '../../src/rtmp/errors';
import { hex } from './helpers';

interface Case {
  name: string;
  command: RtmpCommand;
  bytes: Buffer;
}

const CONNECT = hex(
  '02', '0007', '636f6e6e656374', // "connect"
  '00', '3ff0000000000000', // transaction id 1
  '03', // command object
  '0003', '617070', '02', '0004', '6c697665', // app: "live"
  '0004', '74797065', '02', '000a', '6e6f6e70726976617465', // type: "nonprivate"
  '0008', '666c617368566572', // flashVer:
  '02', '001f', '464d4c452f332e302028636f6d70617469626c653b20464d53632f312e3029', // "FMLE/3.0 (compatible; FMSc/1.0)"
  '0005', '746355726c', // tcUrl:
  '02', '0015', '72746d703a2f2f6c6f63616c686f73742f6c697665', // "rtmp://localhost/live"
  '0000', '09', // object end
);

const PUBLISH = hex(
  '02', '0007', '7075626c697368', // "publish"
  '00', '4014000000000000', // transaction id 5
  '05', // command object: null
  '02', '0006', '73747265616d', // publishing name "stream"
  '02', '0004', '6c697665', // publishing type "live"
);

const RESULT = hex(
  '02', '0007', '5f726573756c74', // "_result"
  '00', '4010000000000000', // transaction id 4
  '05', // null
  '00', '3ff0000000000000', // stream id 1
);

const ON_STATUS = hex(
  '02', '0008', '6f6e537461747573', // "onStatus"
  '00', '0000000000000000', // transaction id 0
  '05', // null
  '03', // info object
  '0005', '6c6576656c', '02', '0006', '737461747573', // level: "status"
  '0004', '636f6465', '02', '0017', '4e657453747265616d2e5075626c6973682e5374617274', // code: "NetStream.Publish.Start"
  '0000', '09',
);

const CASES: Case[] = [
  {
    name: 'connect',
    command: {
      name: 'connect',
      transactionId: 1,
      commandObject: { app: 'live', type: 'nonprivate', flashVer: 'FMLE/3.0 (compatible; FMSc/1.0)', tcUrl: 'rtmp://localhost/live' },
      args: [],
    },
    bytes: CONNECT,
  },
  { name: 'publish', command: { name: 'publish', transactionId: 5, commandObject: null, args: ['stream', 'live'] }, bytes: PUBLISH },
  { name: 'createStream _result', command: { name: '_result', transactionId: 4, commandObject: null, args: [1] }, bytes: RESULT },
  {
    name: 'onStatus NetStream.Publish.Start',
    command: { name: 'onStatus', transactionId: 0, commandObject: null, args: [{ level: 'status', code: 'NetStream.Publish.Start' }] },
    bytes: ON_STATUS,
  },
];

describe('command vectors', () => {
  test.each(CASES.map((c) => [c.name, c] as const))('encodes %s', (_name, c) => {
    expect(encodeCommand(c.command).toString('hex')).toBe(c.bytes.toString('hex'));
  });

  test.each(CASES.map((c) => [c.name, c] as const))('decodes %s', (_name, c) => {
    expect(decodeCommand(c.bytes)).toStrictEqual(c.command);
  });

  test('a command without a command object decodes it as null', () => {
    const bytes = hex('02', '0007', '5f726573756c74', '00', '4010000000000000');
    expect(decodeCommand(bytes)).toStrictEqual({ name: '_result', transactionId: 4, commandObject: null, args: [] });
  });
});

describe('command messages', () => {
  test('commandMessage is type 20 on the given streams, timestamp 0 by default', () => {
    const m = commandMessage(CASES[1].command, { chunkStreamId: 8, messageStreamId: 1 });
    expect({ ...m, payload: m.payload.toString('hex') }).toEqual({
      chunkStreamId: 8,
      timestamp: 0,
      typeId: 20,
      messageStreamId: 1,
      payload: PUBLISH.toString('hex'),
    });
    expect(commandMessage(CASES[1].command, { chunkStreamId: 8, messageStreamId: 1, timestamp: 9 }).timestamp).toBe(9);
  });

  test('dataMessage is type 18 carrying the values, e.g. @setDataFrame onMetaData', () => {
    const m = dataMessage(['@setDataFrame', 'onMetaData', new Amf0EcmaArray({ width: 640 })], {
      chunkStreamId: 4,
      messageStreamId: 1,
      timestamp: 0,
    });
    expect(m.typeId).toBe(18);
    expect(m.chunkStreamId).toBe(4);
    expect(m.messageStreamId).toBe(1);
    expect(m.payload.toString('hex')).toBe(
      hex(
        '02', '000d', '40736574446174614672616d65', // "@setDataFrame"
        '02', '000a', '6f6e4d65746144617461', // "onMetaData"
        '08', '00000001', // ECMA array, 1 entry
        '0005', '7769647468', '00', '4084000000000000', // width: 640
        '0000', '09',
      ).toString('hex'),
    );
  });

  test('decodeCommandMessage reads type 20, and type 17 after its 0x00 format byte', () => {
    const base = { chunkStreamId: 3, timestamp: 0, messageStreamId: 0 };
    expect(decodeCommandMessage({ ...base, typeId: 20, payload: RESULT })).toStrictEqual(CASES[2].command);
    expect(decodeCommandMessage({ ...base, typeId: 17, payload: Buffer.concat([hex('00'), RESULT]) })).toStrictEqual(CASES[2].command);
    expect(() => decodeCommandMessage({ ...base, typeId: 17, payload: hex('11') })).toThrow(RtmpProtocolError);
    expect(() => decodeCommandMessage({ ...base, typeId: 9, payload: RESULT })).toThrow(RtmpProtocolError);
  });
});

describe('decodeCommand refuses what is not a command', () => {
  test.each([
    ['an empty payload', hex('')],
    ['a number first', hex('00', '3ff0000000000000', '00', '3ff0000000000000')],
    ['a name without transaction id', hex('02', '0001', '61')],
    ['a string transaction id', hex('02', '0001', '61', '02', '0001', '62')],
    ['broken AMF0', hex('02', '0009', '61')],
  ])('%s', (_name, bytes) => {
    expect(() => decodeCommand(bytes)).toThrow(RtmpProtocolError);
  });
});
