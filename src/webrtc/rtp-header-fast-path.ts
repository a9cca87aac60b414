import { RtpHeader, RtpPacket } from 'werift';
import { newRtpPacket } from './rtp-packet-fast-path';
import { assertWeriftMember } from './werift-patch';

/**
 * werift 0.25.2 builds an RtpHeader three times for every RTP packet it receives: once
 * to authenticate the SRTP packet, once more when it parses the decrypted packet, and a
 * third time when the receiver clones the packet for the track. Each build is dear:
 * the class's fields are set with Object.defineProperty (its compiled class fields, 15 of
 * them) and the first two bytes are split into bits through `Number.toString(2)` strings
 * (`getBit`). At 4 light publishers this was a third of the service's JS time on the
 * receive path (see the README's performance part).
 *
 * This replaces `RtpHeader.deSerialize` and `RtpPacket.prototype.clone` with versions that
 * give equal objects (same own fields in the same order, same prototype, so `instanceof
 * RtpHeader` holds) built with plain assignments and bit masks. The three builds stay:
 * each is now cheap, and removing one would tie werift's SRTP and transport code together
 * through a cache for little gain. Input the fast parser does not fully understand
 * (too short for its CSRC list or extension header) goes to werift's own parser, so
 * malformed packets fail exactly as before.
 */

/** An RtpHeader's own fields, in the order werift's constructor defines them. */
interface HeaderFields {
  version: number;
  padding: boolean;
  paddingSize: number;
  extension: boolean;
  marker: boolean;
  payloadOffset: number;
  payloadType: number;
  sequenceNumber: number;
  timestamp: number;
  ssrc: number;
  csrcLength: number;
  csrc: number[];
  extensionProfile: number;
  extensionLength: number | undefined;
  extensions: Array<{ id: number; payload: Buffer }>;
}

const FIELD_COUNT = 15;
const ONE_BYTE_PROFILE = 0xbede; // RFC 8285 4.2
const TWO_BYTE_PROFILE = 0x1000; // RFC 8285 4.3 (low 4 bits: appbits, werift compares the whole value)

/**
 * Builds a header object with werift's field order using plain stores, so V8 gives all
 * of them one hidden class. Its prototype is RtpHeader's: methods, getters and
 * `instanceof` behave as for werift's own headers.
 */
const FastHeader = function FastHeader(this: HeaderFields, f: HeaderFields) {
  this.version = f.version;
  this.padding = f.padding;
  this.paddingSize = f.paddingSize;
  this.extension = f.extension;
  this.marker = f.marker;
  this.payloadOffset = f.payloadOffset;
  this.payloadType = f.payloadType;
  this.sequenceNumber = f.sequenceNumber;
  this.timestamp = f.timestamp;
  this.ssrc = f.ssrc;
  this.csrcLength = f.csrcLength;
  this.csrc = f.csrc;
  this.extensionProfile = f.extensionProfile;
  this.extensionLength = f.extensionLength;
  this.extensions = f.extensions;
} as unknown as new (f: HeaderFields) => RtpHeader;
FastHeader.prototype = RtpHeader.prototype;

/** One scratch record reused by the parser: the header object is made from it in one go. */
const scratch: HeaderFields = {
  version: 2, padding: false, paddingSize: 0, extension: false, marker: false, payloadOffset: 0, payloadType: 0,
  sequenceNumber: 0, timestamp: 0, ssrc: 0, csrcLength: 0, csrc: [], extensionProfile: ONE_BYTE_PROFILE, extensionLength: undefined, extensions: [],
};

/**
 * Parses an RTP header (RFC 3550 5.1, extensions RFC 8285) as werift 0.25.2's
 * `RtpHeader.deSerialize` does, quirks included: a one-byte extension with id 15 stops the
 * walk where it stands, padding bytes (0) between elements are skipped, any other profile
 * is one opaque extension with id 0. Returns undefined where werift's parser would read
 * past the end of the buffer, so that one decides (and throws as it does).
 */
export function parseRtpHeader(raw: Buffer): RtpHeader | undefined {
  const length = raw.length;
  if (length < 12) return undefined;
  const b0 = raw[0]!;
  const b1 = raw[1]!;
  const csrcLength = b0 & 0x0f;
  let offset = 12 + 4 * csrcLength;
  if (length < offset) return undefined;
  const f = scratch;
  f.version = b0 >> 6;
  f.padding = (b0 & 0x20) !== 0;
  f.extension = (b0 & 0x10) !== 0;
  f.marker = (b1 & 0x80) !== 0;
  f.payloadType = b1 & 0x7f;
  f.sequenceNumber = raw.readUInt16BE(2);
  f.timestamp = raw.readUInt32BE(4);
  f.ssrc = raw.readUInt32BE(8);
  f.csrcLength = csrcLength;
  const csrc: number[] = [];
  for (let i = 0; i < csrcLength; i++) csrc.push(raw.readUInt32BE(12 + 4 * i));
  f.csrc = csrc;
  f.extensionProfile = ONE_BYTE_PROFILE;
  f.extensionLength = undefined;
  const extensions: Array<{ id: number; payload: Buffer }> = [];
  f.extensions = extensions;
  if (f.extension) {
    if (length < offset + 4) return undefined;
    const profile = raw.readUInt16BE(offset);
    const extensionLength = raw.readUInt16BE(offset + 2) * 4;
    f.extensionProfile = profile;
    f.extensionLength = extensionLength;
    offset += 4;
    const end = offset + extensionLength;
    if (profile === ONE_BYTE_PROFILE) {
      while (offset < end) {
        const b = raw[offset];
        if (b === 0) { offset++; continue; }
        // past the buffer's end werift reads `undefined`: id 0, one byte; its walk is ours
        const id = b === undefined ? 0 : b >> 4;
        const len = (b === undefined ? 0 : b & 0x0f) + 1;
        offset++;
        if (id === 0xf) break;
        extensions.push({ id, payload: raw.subarray(offset, offset + len) });
        offset += len;
      }
    } else if (profile === TWO_BYTE_PROFILE) {
      while (offset < end) {
        const id = raw[offset];
        if (id === 0) { offset++; continue; }
        offset++;
        const len = raw[offset];
        offset++;
        // werift computes offsets with `undefined` here (NaN); leave such packets to it
        if (id === undefined || len === undefined) return undefined;
        extensions.push({ id, payload: raw.subarray(offset, offset + len) });
        offset += len;
      }
    } else {
      const payload = raw.subarray(offset, offset + extensionLength);
      extensions.push({ id: 0, payload });
      offset += payload.length;
    }
  }
  f.payloadOffset = offset;
  f.paddingSize = f.padding ? raw[length - 1]! : 0;
  return new FastHeader(f);
}

/** A copy of a header as `new RtpHeader({ ...header })` makes it: a shallow copy of its own fields. */
export function copyRtpHeader(header: RtpHeader): RtpHeader {
  // Someone may have added fields of their own; the spread would keep them, so let it.
  if (Object.keys(header).length !== FIELD_COUNT) return new RtpHeader({ ...header });
  return new FastHeader(header as unknown as HeaderFields);
}

type DeSerialize = (raw: Buffer) => RtpHeader;
const headerClass = RtpHeader as unknown as { deSerialize: DeSerialize };
const packetPrototype = RtpPacket.prototype as unknown as { clone: (this: RtpPacket) => RtpPacket };
assertWeriftMember(RtpHeader, 'RtpHeader', 'deSerialize', 'method');
assertWeriftMember(packetPrototype, 'RtpPacket.prototype', 'clone', 'method');

/** werift's own parser, kept for malformed input and for the tests that compare the two. */
export const weriftRtpHeaderDeSerialize: DeSerialize = headerClass.deSerialize.bind(RtpHeader);

/** What RtpHeader.deSerialize is from now on (exported so a test can tell it is installed). */
export const fastRtpHeaderDeSerialize: DeSerialize = function deSerialize(raw: Buffer): RtpHeader {
  return parseRtpHeader(raw) ?? weriftRtpHeaderDeSerialize(raw);
};
headerClass.deSerialize = fastRtpHeaderDeSerialize;
packetPrototype.clone = function clone(this: RtpPacket): RtpPacket {
  return newRtpPacket(copyRtpHeader(this.header), this.payload);
};
