/**
 * AMF0 (Adobe "Action Message Format -- AMF 0", 2007) encoder and decoder.
 *
 * An RTMP command or data message body is a plain sequence of AMF0 values (no AMF
 * packet framing), so both directions work on value sequences.
 *
 * Decoding policy for the markers an RTMP peer should never send us:
 *   - typed-object (0x10) decodes to a plain object (the class name is dropped);
 *   - xml-document (0x0F) decodes to its text, like a long string;
 *   - unsupported (0x0D) decodes to undefined (it carries no data);
 *   - reference (0x07), movieclip (0x04), recordset (0x0E), avmplus (0x11, AMF3)
 *     and any unknown marker throw Amf0Error: references could form cycles that
 *     nothing downstream expects, and the others are reserved or need AMF3.
 */
import { Amf0Error } from './amf0-error';

export interface Amf0Object {
  [key: string]: Amf0Value;
}

/**
 * An ECMA array (associative array, marker 0x08). On the wire it differs from an
 * object only by its marker and a 32-bit count; `onMetaData` is the usual one.
 */
export class Amf0EcmaArray {
  constructor(readonly entries: Amf0Object) {}
}

export type Amf0Value =
  | number
  | boolean
  | string
  | null
  | undefined
  | Date
  | Amf0Value[]
  | Amf0Object
  | Amf0EcmaArray;

export const Amf0Marker = {
  Number: 0x00,
  Boolean: 0x01,
  String: 0x02,
  Object: 0x03,
  MovieClip: 0x04,
  Null: 0x05,
  Undefined: 0x06,
  Reference: 0x07,
  EcmaArray: 0x08,
  ObjectEnd: 0x09,
  StrictArray: 0x0a,
  Date: 0x0b,
  LongString: 0x0c,
  Unsupported: 0x0d,
  RecordSet: 0x0e,
  XmlDocument: 0x0f,
  TypedObject: 0x10,
  AvmPlus: 0x11,
} as const;

/**
 * Deepest nesting of objects/arrays we accept. Real RTMP traffic nests two or three
 * levels; the limit keeps a run of 0x03 bytes from overflowing the stack.
 */
export const AMF0_MAX_DEPTH = 64;

const MAX_SHORT_STRING = 0xffff;

// ---------------------------------------------------------------- encoding

/** Encodes the values one after another (an RTMP command/data body). */
export function encodeAmf0(...values: Amf0Value[]): Buffer {
  const parts: Buffer[] = [];
  for (const value of values) writeValue(parts, value, 0);
  return Buffer.concat(parts);
}

function writeValue(parts: Buffer[], value: Amf0Value, depth: number): void {
  if (depth > AMF0_MAX_DEPTH) {
    throw new Amf0Error(`cannot encode AMF0: nesting deeper than ${AMF0_MAX_DEPTH} (a cycle?)`);
  }
  if (value === null) {
    parts.push(Buffer.of(Amf0Marker.Null));
    return;
  }
  switch (typeof value) {
    case 'undefined':
      parts.push(Buffer.of(Amf0Marker.Undefined));
      return;
    case 'number': {
      const b = Buffer.allocUnsafe(9);
      b[0] = Amf0Marker.Number;
      b.writeDoubleBE(value, 1);
      parts.push(b);
      return;
    }
    case 'boolean':
      parts.push(Buffer.of(Amf0Marker.Boolean, value ? 1 : 0));
      return;
    case 'string':
      writeString(parts, value);
      return;
    case 'object':
      break;
    default:
      throw new Amf0Error(`cannot encode a ${typeof value} as AMF0`);
  }
  if (value instanceof Date) {
    const b = Buffer.alloc(11);
    b[0] = Amf0Marker.Date;
    b.writeDoubleBE(value.getTime(), 1);
    // Bytes 9..10: time-zone, "reserved, not supported, should be set to 0x0000".
    parts.push(b);
  } else if (Array.isArray(value)) {
    const head = Buffer.allocUnsafe(5);
    head[0] = Amf0Marker.StrictArray;
    head.writeUInt32BE(value.length, 1);
    parts.push(head);
    for (const item of value) writeValue(parts, item, depth + 1);
  } else if (value instanceof Amf0EcmaArray) {
    const keys = Object.keys(value.entries);
    const head = Buffer.allocUnsafe(5);
    head[0] = Amf0Marker.EcmaArray;
    head.writeUInt32BE(keys.length, 1);
    parts.push(head);
    writeProperties(parts, value.entries, keys, depth);
  } else {
    parts.push(Buffer.of(Amf0Marker.Object));
    writeProperties(parts, value, Object.keys(value), depth);
  }
}

function writeString(parts: Buffer[], value: string): void {
  const bytes = Buffer.from(value, 'utf8');
  if (bytes.length > MAX_SHORT_STRING) {
    const head = Buffer.allocUnsafe(5);
    head[0] = Amf0Marker.LongString;
    head.writeUInt32BE(bytes.length, 1);
    parts.push(head, bytes);
  } else {
    const head = Buffer.allocUnsafe(3);
    head[0] = Amf0Marker.String;
    head.writeUInt16BE(bytes.length, 1);
    parts.push(head, bytes);
  }
}

function writeProperties(parts: Buffer[], obj: Amf0Object, keys: string[], depth: number): void {
  for (const key of keys) {
    const name = Buffer.from(key, 'utf8');
    if (name.length > MAX_SHORT_STRING) {
      throw new Amf0Error(`cannot encode AMF0 property name of ${name.length} bytes (max 65535)`);
    }
    const len = Buffer.allocUnsafe(2);
    len.writeUInt16BE(name.length, 0);
    parts.push(len, name);
    writeValue(parts, obj[key], depth + 1);
  }
  // object-end: an empty name (UTF-8-empty, U16 0) then the object-end marker.
  parts.push(Buffer.of(0x00, 0x00, Amf0Marker.ObjectEnd));
}

// ---------------------------------------------------------------- decoding

/** Decodes every value in `buf`; throws Amf0Error on anything malformed or cut short. */
export function decodeAmf0(buf: Buffer): Amf0Value[] {
  const reader = new Amf0Reader(buf);
  const values: Amf0Value[] = [];
  while (reader.offset < buf.length) values.push(reader.readValue(0));
  return values;
}

class Amf0Reader {
  offset = 0;

  constructor(private readonly buf: Buffer) {}

  readValue(depth: number): Amf0Value {
    const marker = this.u8();
    switch (marker) {
      case Amf0Marker.Number:
        return this.double();
      case Amf0Marker.Boolean:
        return this.u8() !== 0;
      case Amf0Marker.String:
        return this.utf8(this.u16());
      case Amf0Marker.Object:
        return this.properties(this.nest(depth));
      case Amf0Marker.Null:
        return null;
      case Amf0Marker.Undefined:
      case Amf0Marker.Unsupported:
        return undefined;
      case Amf0Marker.EcmaArray:
        // The associative-count is advisory: encoders in the wild write 0 or a wrong
        // count, so the object-end marker is what ends the array.
        this.u32();
        return new Amf0EcmaArray(this.properties(this.nest(depth)));
      case Amf0Marker.StrictArray:
        return this.strictArray(this.nest(depth));
      case Amf0Marker.Date: {
        const ms = this.double();
        this.u16(); // time-zone: reserved, ignored as the spec says
        return new Date(ms);
      }
      case Amf0Marker.LongString:
      case Amf0Marker.XmlDocument:
        return this.utf8(this.u32());
      case Amf0Marker.TypedObject: {
        this.utf8(this.u16()); // class name, dropped: we only need the properties
        return this.properties(this.nest(depth));
      }
      case Amf0Marker.ObjectEnd:
        throw new Amf0Error(`AMF0 object-end marker outside an object at offset ${this.offset - 1}`);
      case Amf0Marker.Reference:
        throw new Amf0Error('AMF0 reference (0x07) is not supported');
      case Amf0Marker.AvmPlus:
        throw new Amf0Error('AMF0 avmplus-object (0x11, switch to AMF3) is not supported');
      case Amf0Marker.MovieClip:
      case Amf0Marker.RecordSet:
        throw new Amf0Error(`AMF0 reserved marker 0x${marker.toString(16).padStart(2, '0')} is not supported`);
      default:
        throw new Amf0Error(`unknown AMF0 marker 0x${marker.toString(16).padStart(2, '0')} at offset ${this.offset - 1}`);
    }
  }

  private nest(depth: number): number {
    if (depth >= AMF0_MAX_DEPTH) throw new Amf0Error(`AMF0 nesting deeper than ${AMF0_MAX_DEPTH}`);
    return depth + 1;
  }

  private properties(depth: number): Amf0Object {
    const obj: Amf0Object = {};
    for (;;) {
      const nameLength = this.u16();
      if (nameLength === 0 && this.peekU8() === Amf0Marker.ObjectEnd) {
        this.offset += 1;
        return obj;
      }
      const name = this.utf8(nameLength);
      // defineProperty, not assignment: a key named "__proto__" must stay a plain
      // property instead of replacing the object's prototype.
      Object.defineProperty(obj, name, {
        value: this.readValue(depth),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
  }

  private strictArray(depth: number): Amf0Value[] {
    const count = this.u32();
    // Every value takes at least its marker byte: a count larger than what is left
    // is a lie, refused before it can drive a huge loop or allocation.
    if (count > this.buf.length - this.offset) {
      throw new Amf0Error(`AMF0 strict array of ${count} values truncated`);
    }
    const items: Amf0Value[] = [];
    for (let i = 0; i < count; i++) items.push(this.readValue(depth));
    return items;
  }

  private need(n: number): void {
    if (this.offset + n > this.buf.length) {
      throw new Amf0Error(`AMF0 data truncated at offset ${this.offset} (need ${n} more bytes)`);
    }
  }

  private u8(): number {
    this.need(1);
    return this.buf[this.offset++];
  }

  private peekU8(): number {
    this.need(1);
    return this.buf[this.offset];
  }

  private u16(): number {
    this.need(2);
    const v = this.buf.readUInt16BE(this.offset);
    this.offset += 2;
    return v;
  }

  private u32(): number {
    this.need(4);
    const v = this.buf.readUInt32BE(this.offset);
    this.offset += 4;
    return v;
  }

  private double(): number {
    this.need(8);
    const v = this.buf.readDoubleBE(this.offset);
    this.offset += 8;
    return v;
  }

  private utf8(length: number): string {
    this.need(length);
    const s = this.buf.toString('utf8', this.offset, this.offset + length);
    this.offset += length;
    return s;
  }
}
