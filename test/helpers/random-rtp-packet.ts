/**
 * Random RTP packets for tests that compare our RTP parsing with werift's: RFC 3550 5.1
 * fixed header, CSRCs, RFC 8285 one-byte / two-byte header extensions (and a profile of
 * neither, and the id 15 that stops werift's walk), padding between elements and at the
 * end, as browsers' packets carry them. Drawn from a seeded `rnd`.
 */
import { seededBytes } from './seeded-random';

export function randomRtpPacket(rnd: () => number): Buffer {
  const int = (n: number): number => Math.floor(rnd() * n);
  const cc = rnd() < 0.2 ? int(4) : 0;
  const padding = rnd() < 0.2;
  const ext = rnd() < 0.8;
  const parts: Buffer[] = [];
  const fixed = Buffer.alloc(12);
  fixed[0] = 0x80 | (padding ? 0x20 : 0) | (ext ? 0x10 : 0) | cc;
  fixed[1] = (rnd() < 0.5 ? 0x80 : 0) | int(128);
  fixed.writeUInt16BE(int(65536), 2);
  fixed.writeUInt32BE(int(2 ** 32), 4);
  fixed.writeUInt32BE(int(2 ** 32), 8);
  parts.push(fixed, seededBytes(rnd, 4 * cc));
  if (ext) {
    const kind = int(3);
    const elements: Buffer[] = [];
    for (let i = int(5); i > 0; i--) {
      if (kind === 0) {
        const len = 1 + int(16);
        // id 1..14, or now and then the id 15 that stops werift's walk
        const id = rnd() < 0.05 ? 15 : 1 + int(14);
        elements.push(Buffer.from([(id << 4) | (len - 1)]), seededBytes(rnd, len));
      } else if (kind === 1) {
        const len = int(20);
        elements.push(Buffer.from([1 + int(255), len]), seededBytes(rnd, len));
      } else {
        elements.push(seededBytes(rnd, 4));
      }
      if (kind !== 2 && rnd() < 0.3) elements.push(Buffer.alloc(1)); // padding between elements
    }
    let body = Buffer.concat(elements);
    body = Buffer.concat([body, Buffer.alloc((4 - (body.length % 4)) % 4)]);
    const head = Buffer.alloc(4);
    head.writeUInt16BE(kind === 0 ? 0xbede : kind === 1 ? 0x1000 : 0xabac, 0);
    head.writeUInt16BE(body.length / 4, 2);
    parts.push(head, body);
  }
  parts.push(seededBytes(rnd, int(200)));
  if (padding) {
    const size = 1 + int(8);
    const pad = Buffer.alloc(size);
    pad[size - 1] = size;
    parts.push(pad);
  }
  return Buffer.concat(parts);
}

