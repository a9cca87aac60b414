import { RtcpHeader, RtcpPayloadSpecificFeedback } from 'werift';
import { assertWeriftMember } from './werift-patch';

/**
 * A Full Intra Request (RFC 5104 4.3.1): media source SSRC 0, one FCI entry naming the
 * stream and a command sequence number. werift has the message but does not export its
 * class; its RTCP parser builds one from these bytes.
 */
export function firPacket(senderSsrc: number, mediaSsrc: number, sequence: number): RtcpPayloadSpecificFeedback {
  const packet = weriftFir(senderSsrc, mediaSsrc, sequence);
  const feedback = packet.feedback;
  Object.defineProperty(feedback, 'length', { get: () => feedback.serialize().length / 4 });
  return packet;
}

function weriftFir(senderSsrc: number, mediaSsrc: number, sequence: number): RtcpPayloadSpecificFeedback {
  const body = Buffer.alloc(16);
  body.writeUInt32BE(senderSsrc, 0);
  body.writeUInt32BE(mediaSsrc, 8);
  body[12] = sequence & 0xff;
  return RtcpPayloadSpecificFeedback.deSerialize(body, new RtcpHeader({ type: RtcpPayloadSpecificFeedback.type, count: 4 }));
}

/**
 * werift 0.25.2 writes the FIR length one word short (its FullIntraRequest `length`
 * getter forgets the header word), which makes the browser misread the compound packet;
 * the RTCP length is the words after the first. firPacket overrides that getter on each
 * FIR it makes: checked when this module loads.
 */
assertWeriftMember(Object.getPrototypeOf(weriftFir(0, 0, 0).feedback) as object, 'FullIntraRequest.prototype', 'length', 'getter');
