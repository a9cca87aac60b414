/**
 * werift's real SRTP receive path (RTCDtlsTransport.startSrtp) without ICE or DTLS: the
 * transport is given session keys drawn from `seed`, and `send` encrypts a packet the
 * way the browser would and hands it to the transport as if it came off the socket.
 * `received` collects what the transport's onRtp emits. For tests that check our werift
 * patches sit on the path werift really takes.
 */
import { Event, RTCDtlsTransport, SrtpSession, type RtpHeader, type RtpPacket } from 'werift';
import { seededBytes, seededRandom } from './seeded-random';

export interface SrtpReceiver {
  received: RtpPacket[];
  send(payload: Buffer, header: RtpHeader): void;
}

export function weriftSrtpReceiver(seed: number): SrtpReceiver {
  const rnd = seededRandom(seed);
  const keys = { localMasterKey: seededBytes(rnd, 16), localMasterSalt: seededBytes(rnd, 14), remoteMasterKey: seededBytes(rnd, 16), remoteMasterSalt: seededBytes(rnd, 14) };
  // The browser's side: its local keys are the transport's remote ones.
  const browser = new SrtpSession({ profile: 1, keys: { localMasterKey: keys.remoteMasterKey, localMasterSalt: keys.remoteMasterSalt, remoteMasterKey: keys.localMasterKey, remoteMasterSalt: keys.localMasterSalt } });
  const onData = new Event<[Buffer]>();
  const transport = new RTCDtlsTransport({} as never, { connection: { onData } } as never, undefined as never, []);
  Object.assign(transport, { dtls: { srtp: { srtpProfile: 1 }, extractSessionKeys: () => ({ localKey: keys.localMasterKey, localSalt: keys.localMasterSalt, remoteKey: keys.remoteMasterKey, remoteSalt: keys.remoteMasterSalt }) } });
  transport.startSrtp();
  const received: RtpPacket[] = [];
  transport.onRtp.subscribe((p: RtpPacket) => received.push(p));
  return { received, send: (payload, header) => onData.execute(browser.encrypt(payload, header)) };
}
