import { RtpHeader, RtpPacket } from 'werift';
import { assertWeriftMember } from './werift-patch';

/**
 * werift 0.25.2 builds an RtpPacket twice for every RTP packet it receives: once when it
 * parses the decrypted packet (`RtpPacket.deSerialize`), once when the receiver clones it
 * for the track (`clone`, see rtp-header-fast-path.ts). Its constructor sets the two
 * fields with Object.defineProperty (its compiled class fields), which V8 does not
 * optimise as it does plain stores: the constructor alone was about 1.4 % of the service's
 * JS time at 4 publishers.
 *
 * This replaces `RtpPacket.deSerialize` with a version that gives an equal object (same own
 * fields in the same order, same prototype, so `instanceof RtpPacket` holds) built with
 * plain assignments. `newRtpPacket` is what the header fast path's `clone` uses too.
 */

interface PacketFields {
  header: RtpHeader;
  payload: Buffer;
}

const FastPacket = function FastPacket(this: PacketFields, header: RtpHeader, payload: Buffer) {
  this.header = header;
  this.payload = payload;
} as unknown as new (header: RtpHeader, payload: Buffer) => RtpPacket;
FastPacket.prototype = RtpPacket.prototype;

/** An RtpPacket as `new RtpPacket(header, payload)` makes it, without its defineProperty fields. */
export function newRtpPacket(header: RtpHeader, payload: Buffer): RtpPacket {
  return new FastPacket(header, payload);
}

type DeSerialize = (buf: Buffer) => RtpPacket;
const packetClass = RtpPacket as unknown as { deSerialize: DeSerialize };
assertWeriftMember(RtpPacket, 'RtpPacket', 'deSerialize', 'method');

/** werift's own, kept for the tests that compare the two. */
export const weriftRtpPacketDeSerialize: DeSerialize = packetClass.deSerialize.bind(RtpPacket);

/** `RtpPacket.deSerialize` as werift 0.25.2 has it, the packet built with plain stores. */
export function fastRtpPacketDeSerialize(buf: Buffer): RtpPacket {
  // RtpHeader.deSerialize is the header fast path when that module is loaded (publisher.ts loads both)
  const header = RtpHeader.deSerialize(buf);
  return new FastPacket(header, buf.subarray(header.payloadOffset, buf.length - header.paddingSize));
}

packetClass.deSerialize = fastRtpPacketDeSerialize;
