import { DtlsSocket } from 'werift';
import { assertWeriftMember } from './werift-patch';

/** The fields of a DTLS handshake fragment (RFC 6347 4.2.2) werift parses. */
export interface HandshakeFragment {
  msg_type: number;
  length: number;
  message_seq: number;
  fragment_offset: number;
  fragment_length: number;
}

/** Messages in reassembly per socket beyond which the oldest is forgotten (the peer retransmits). */
const MAX_PENDING = 16;

/**
 * Reassembles fragmented DTLS handshake messages (RFC 6347 4.2.3) the way the RFC asks:
 * per message (type and message_seq), whatever order the fragments arrive in, and only
 * once every byte of the message has arrived. Duplicates are harmless.
 */
export class HandshakeReassembler<F extends HandshakeFragment> {
  private readonly pending = new Map<string, F[]>();

  /** Whole messages pass through; a fragment returns every fragment of its message once that is complete. */
  add(fragment: F): F[] {
    if (fragment.fragment_offset === 0 && fragment.fragment_length === fragment.length) return [fragment];
    const key = `${fragment.msg_type}/${fragment.message_seq}/${fragment.length}`;
    let parts = this.pending.get(key);
    if (!parts) {
      if (this.pending.size >= MAX_PENDING) this.pending.delete(this.pending.keys().next().value!);
      parts = [];
      this.pending.set(key, parts);
    }
    parts.push(fragment);
    if (!covers(parts, fragment.length)) return [];
    this.pending.delete(key);
    return parts;
  }
}

function covers(parts: HandshakeFragment[], length: number): boolean {
  const sorted = [...parts].sort((a, b) => a.fragment_offset - b.fragment_offset);
  let end = 0;
  for (const p of sorted) {
    if (p.fragment_offset > end) return false;
    end = Math.max(end, p.fragment_offset + p.fragment_length);
  }
  return end >= length;
}

/**
 * werift 0.25.2's DtlsSocket.handleFragmentHandshake takes a message as complete when
 * the fragment that arrived last ends at the message's end: a reordered or lost fragment
 * gives a message with a hole, whose parse throws, and the DTLS handshake fails at once.
 * Browsers' ClientHello now spans two datagrams (the X25519MLKEM768 key share), so a
 * path that reorders or loses one failed publishes within half a second ("Failed by
 * ICE error"). This replaces the method, when this module loads, with a
 * HandshakeReassembler per socket.
 */
type FragmentHandler = (messages: HandshakeFragment[]) => HandshakeFragment[];
const socketPrototype = DtlsSocket.prototype as unknown as { handleFragmentHandshake: FragmentHandler };
assertWeriftMember(socketPrototype, 'DtlsSocket.prototype', 'handleFragmentHandshake', 'method');
const reassemblers = new WeakMap<object, HandshakeReassembler<HandshakeFragment>>();
socketPrototype.handleFragmentHandshake = function handleFragmentHandshake(this: object, messages: HandshakeFragment[]): HandshakeFragment[] {
  let reassembler = reassemblers.get(this);
  if (!reassembler) {
    reassembler = new HandshakeReassembler();
    reassemblers.set(this, reassembler);
  }
  return messages.flatMap((m) => reassembler.add(m));
};
