import fs from 'node:fs';
import path from 'node:path';
import { DtlsServer, RTCDtlsTransport } from 'werift';
import { HandshakeReassembler } from '../../src/webrtc/dtls-reassembly-fix';

/** A datagram transport werift's DTLS sockets accept: what they send is kept, `deliver` feeds them. */
class FakeTransport {
  readonly sent: Buffer[] = [];
  onData?: (data: Buffer) => void;
  send = async (data: Buffer): Promise<void> => { this.sent.push(data); };
  close(): void { /* nothing to release */ }
  deliver(data: Buffer): void { this.onData!(data); }
}

/** One DTLS 1.2 handshake record (RFC 6347 4.1 and 4.2.2) holding one fragment. */
function handshakeRecord(sequence: number, msgType: number, messageSeq: number, body: Buffer, offset: number, length: number): Buffer {
  const fragment = body.subarray(offset, offset + length);
  const hs = Buffer.alloc(12);
  hs[0] = msgType;
  hs.writeUIntBE(body.length, 1, 3);
  hs.writeUInt16BE(messageSeq, 4);
  hs.writeUIntBE(offset, 6, 3);
  hs.writeUIntBE(fragment.length, 9, 3);
  const record = Buffer.alloc(13);
  record[0] = 22; // handshake
  record.writeUInt16BE(0xfefd, 1); // DTLS 1.2
  record.writeUInt16BE(0, 3); // epoch
  record.writeUIntBE(sequence, 5, 6);
  record.writeUInt16BE(hs.length + fragment.length, 11);
  return Buffer.concat([record, hs, fragment]);
}

/**
 * The body of the ClientHello werift's own DtlsClient sends first (SRTP profiles 1 and 7,
 * extended master secret), captured once: a live DtlsClient would keep retransmitting it
 * for half a minute after the test (werift's flight timers cannot be cancelled).
 */
function clientHelloBody(): Buffer {
  const body = fs.readFileSync(path.join(__dirname, '../fixtures/dtls-client-hello-body.bin'));
  expect(body.readUInt16BE(0)).toBe(0xfefd); // client_version DTLS 1.2 (RFC 6347 4.2.1)
  return body;
}

describe('DTLS handshake reassembly', () => {
  it('werift\'s DTLS server answers a ClientHello whose fragments arrive last first, with a duplicate', async () => {
    const body = clientHelloBody();
    const half = Math.floor(body.length / 2);
    const transport = new FakeTransport();
    const cert = await RTCDtlsTransport.SetupCertificate();
    const server = new DtlsServer({ cert: cert.certPem, key: cert.privateKey, signatureHash: cert.signatureHash, transport, srtpProfiles: [1, 7], extendedMasterSecret: true, certificateRequest: true } as never);
    const errors: unknown[] = [];
    server.onError.subscribe((e) => errors.push(e));
    transport.deliver(handshakeRecord(2, 1, 0, body, half, body.length - half));
    transport.deliver(handshakeRecord(2, 1, 0, body, half, body.length - half));
    expect(transport.sent).toEqual([]);
    transport.deliver(handshakeRecord(1, 1, 0, body, 0, half));
    for (let i = 0; i < 50 && transport.sent.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(errors).toEqual([]);
    // HelloVerifyRequest (RFC 6347 4.2.1): handshake record, msg_type 3
    expect(transport.sent.map((d) => [d[0], d[13]])).toEqual([[22, 3]]);
  });

  it('waits for a lost middle fragment instead of passing a message with a hole', () => {
    const r = new HandshakeReassembler();
    const f = (offset: number, len: number, seq = 0): { msg_type: number; length: number; message_seq: number; fragment_offset: number; fragment_length: number } =>
      ({ msg_type: 1, length: 30, message_seq: seq, fragment_offset: offset, fragment_length: len });
    expect(r.add(f(0, 10))).toEqual([]);
    expect(r.add(f(20, 10))).toEqual([]);
    expect(r.add(f(0, 12, 1))).toEqual([]); // another message (a retransmitted hello with a cookie)
    expect(r.add(f(5, 15))).toEqual([f(0, 10), f(20, 10), f(5, 15)]);
    expect(r.add(f(0, 30, 2))).toEqual([f(0, 30, 2)]);
  });
});
