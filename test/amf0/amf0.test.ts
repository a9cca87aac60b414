/**
 * AMF0 golden vectors, written by hand from the AMF0 specification (Adobe, "Action
 * Message Format -- AMF 0", 2007, section 2): marker byte, then big-endian fields.
 * Doubles are IEEE-754 big-endian: 1 = 3ff0..., 5 = 4014..., 1920 = 409e..., etc.
 */
import { Amf0EcmaArray, Amf0Error, AMF0_MAX_DEPTH, decodeAmf0, encodeAmf0, type Amf0Value } from '../../src/amf0';
import { hex } from '../rtmp/helpers';

interface Case {
  name: string;
  bytes: Buffer;
  value: Amf0Value;
  /** false: a legal encoding that our encoder writes differently (decode only). */
  encodes?: boolean;
}

const CASES: Case[] = [
  { name: 'number 0', bytes: hex('00', '0000000000000000'), value: 0 },
  { name: 'number 1', bytes: hex('00', '3ff0000000000000'), value: 1 },
  { name: 'number -2.5', bytes: hex('00', 'c004000000000000'), value: -2.5 },
  { name: 'number 1920', bytes: hex('00', '409e000000000000'), value: 1920 },
  { name: 'boolean true', bytes: hex('01', '01'), value: true },
  { name: 'boolean false', bytes: hex('01', '00'), value: false },
  { name: 'boolean, any non-zero byte is true', bytes: hex('01', '7f'), value: true, encodes: false },
  {
    name: 'string "app"',
    bytes: hex(
      '02', // string-marker
      '0003', // U16 length
      '617070', // "app"
    ),
    value: 'app',
  },
  { name: 'empty string', bytes: hex('02', '0000'), value: '' },
  { name: 'string is UTF-8 (é = c3 a9)', bytes: hex('02', '0002', 'c3a9'), value: 'é' },
  {
    name: 'object {a: 1}',
    bytes: hex(
      '03', // object-marker
      '0001', '61', // name "a"
      '00', '3ff0000000000000', // number 1
      '0000', '09', // UTF-8-empty + object-end-marker
    ),
    value: { a: 1 },
  },
  {
    name: 'nested object {o: {b: true}}',
    bytes: hex(
      '03', // object-marker
      '0001', '6f', // name "o"
      '03', // object-marker
      '0001', '62', // name "b"
      '01', '01', // true
      '0000', '09', // end of inner object
      '0000', '09', // end of outer object
    ),
    value: { o: { b: true } },
  },
  { name: 'empty object', bytes: hex('03', '0000', '09'), value: {} },
  { name: 'null', bytes: hex('05'), value: null },
  { name: 'undefined', bytes: hex('06'), value: undefined },
  {
    name: 'ECMA array {duration: 0}',
    bytes: hex(
      '08', // ecma-array-marker
      '00000001', // U32 associative-count
      '0008', '6475726174696f6e', // "duration"
      '00', '0000000000000000', // number 0
      '0000', '09', // object end
    ),
    value: new Amf0EcmaArray({ duration: 0 }),
  },
  {
    name: 'ECMA array with a wrong count still ends at object-end',
    bytes: hex('08', '00000000', '0001', '61', '05', '0000', '09'),
    value: new Amf0EcmaArray({ a: null }),
    encodes: false,
  },
  {
    name: 'strict array [1, "a"]',
    bytes: hex(
      '0a', // strict-array-marker
      '00000002', // U32 array-count
      '00', '3ff0000000000000', // 1
      '02', '0001', '61', // "a"
    ),
    value: [1, 'a'],
  },
  { name: 'empty strict array', bytes: hex('0a', '00000000'), value: [] },
  {
    name: 'date 1024 ms',
    bytes: hex(
      '0b', // date-marker
      '4090000000000000', // DOUBLE ms since epoch (1024)
      '0000', // S16 time-zone, reserved: 0
    ),
    value: new Date(1024),
  },
  {
    name: 'date with a non-zero time-zone (ignored as the spec says)',
    bytes: hex('0b', '4090000000000000', '01e0'),
    value: new Date(1024),
    encodes: false,
  },
  {
    name: 'long string of 65536 bytes',
    bytes: Buffer.concat([
      hex(
        '0c', // long-string-marker
        '00010000', // U32 length 65536
      ),
      Buffer.alloc(65536, 0x78), // "xxx..."
    ]),
    value: 'x'.repeat(65536),
  },
  { name: 'string of exactly 65535 bytes stays short', bytes: Buffer.concat([hex('02', 'ffff'), Buffer.alloc(65535, 0x78)]), value: 'x'.repeat(65535) },
  { name: 'short text as long string', bytes: hex('0c', '00000002', '6869'), value: 'hi', encodes: false },
  {
    name: 'typed object decodes as a plain object',
    bytes: hex('10', '0003', '466f6f', '0001', '61', '05', '0000', '09'), // class "Foo", {a: null}
    value: { a: null },
    encodes: false,
  },
  { name: 'xml document decodes as its text', bytes: hex('0f', '00000004', '3c612f3e'), value: '<a/>', encodes: false },
  { name: 'unsupported marker decodes as undefined', bytes: hex('0d'), value: undefined, encodes: false },
];

describe('AMF0 golden vectors', () => {
  test.each(CASES.map((c) => [c.name, c] as const))('decodes %s', (_name, c) => {
    expect(decodeAmf0(c.bytes)).toStrictEqual([c.value]);
  });

  test.each(CASES.filter((c) => c.encodes !== false).map((c) => [c.name, c] as const))('encodes %s', (_name, c) => {
    expect(encodeAmf0(c.value).toString('hex')).toBe(c.bytes.toString('hex'));
  });

  test('a sequence of values decodes to all of them', () => {
    const bytes = hex('02', '0003', '617070', '05', '00', '3ff0000000000000');
    expect(decodeAmf0(bytes)).toStrictEqual(['app', null, 1]);
    expect(encodeAmf0('app', null, 1)).toEqual(bytes);
  });

  test('empty input decodes to no values', () => {
    expect(decodeAmf0(Buffer.alloc(0))).toStrictEqual([]);
  });

  test('NaN survives a round trip', () => {
    const [v] = decodeAmf0(encodeAmf0(NaN));
    expect(Number.isNaN(v)).toBe(true);
  });

  test('a property named __proto__ stays a plain property', () => {
    const bytes = hex('03', '0009', Buffer.from('__proto__').toString('hex'), '03', '0001', '78', '01', '01', '0000', '09', '0000', '09');
    const [obj] = decodeAmf0(bytes) as [Record<string, unknown>];
    expect(Object.getPrototypeOf(obj)).toBe(Object.prototype);
    expect(Object.keys(obj)).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });
});

describe('AMF0 refuses bad input with Amf0Error', () => {
  const BAD: Array<[string, Buffer]> = [
    ['a truncated number', hex('00', '3ff000')],
    ['a string longer than the data', hex('02', '0010', '6162')],
    ['an object without its end', hex('03', '0001', '61', '05')],
    ['a strict array count beyond the data', hex('0a', 'ffffffff', '05')],
    ['a stray object-end marker', hex('09')],
    ['a reference', hex('07', '0001')],
    ['a movieclip', hex('04')],
    ['a recordset', hex('0e')],
    ['an AMF3 switch', hex('11', '01')],
    ['an unknown marker', hex('42')],
    ['a date without its time-zone', hex('0b', '4090000000000000', '00')],
    ['a long string cut short', hex('0c', '00010000', '78')],
  ];
  test.each(BAD)('%s', (_name, bytes) => {
    expect(() => decodeAmf0(bytes)).toThrow(Amf0Error);
  });

  test('nesting deeper than the limit is refused, not a stack overflow', () => {
    const bomb = Buffer.alloc(1_000_000, 0x03);
    expect(() => decodeAmf0(bomb)).toThrow(Amf0Error);
    const arrays = Buffer.concat(Array.from({ length: 100_000 }, () => hex('0a', '00000001')));
    expect(() => decodeAmf0(arrays)).toThrow(Amf0Error);
  });

  test('nesting up to the limit is fine', () => {
    let v: Amf0Value = 1;
    for (let i = 0; i < AMF0_MAX_DEPTH; i++) v = [v];
    expect(decodeAmf0(encodeAmf0(v))).toStrictEqual([v]);
  });

  test('the encoder refuses a cycle instead of recursing forever', () => {
    const a: Amf0Value[] = [];
    a.push(a);
    expect(() => encodeAmf0(a)).toThrow(Amf0Error);
  });
});
