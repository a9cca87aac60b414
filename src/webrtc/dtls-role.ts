import type { RTCPeerConnection } from 'werift';
import { assertWeriftMember } from './werift-patch';

/**
 * Makes werift the DTLS server (a=setup:passive in the answer), so the browser is the
 * DTLS client, as it is with media servers (mediasoup, Janus, Flashphoner WCS answer
 * passive too).
 *
 * Why: with werift as the client (its default for an answer), a lost final flight from
 * the browser (ChangeCipherSpec + Finished) is never recovered. werift retransmits its
 * flight 5 byte for byte, with the record sequence numbers it already used (RFC 6347
 * 4.2.4 wants new ones); the browser, whose handshake is complete, drops them as replays
 * and never repeats its Finished. The browser sends media, werift waits for a Finished
 * that never comes, and the publish fails by ICE timeout: 1 in 6 to 3 in 10 publishes at
 * 10 % loss. As the server, werift finishes as soon as the browser's flight 5 arrives
 * (which the browser retransmits correctly), and repeats its own last flight whenever
 * the browser repeats its Finished.
 *
 * Call between setRemoteDescription and createAnswer: werift copies an explicit role
 * of the transport into the answer (its `auto` becomes `client`).
 */
export function answerAsDtlsServer(pc: RTCPeerConnection): void {
  for (const transceiver of pc.getTransceivers()) {
    const dtls = transceiver.dtlsTransport;
    assertWeriftMember(dtls, 'RTCDtlsTransport', 'role', 'field');
    dtls.role = 'server';
  }
}
