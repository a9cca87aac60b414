/**
 * Simple handshake, Adobe RTMP specification 1.0, 5.2:
 *   C0/S0  version (1 byte, 3)
 *   C1/S1  time (4) | zero (4) | random (1528)
 *   C2/S2  time (4: the peer's time) | time2 (4: when the peer's packet was read) | random echo (1528)
 */
import { ClientHandshake, createC0C1, createC2, HANDSHAKE_SIZE, RTMP_VERSION } from '../../src/rtmp/handshake';
import { RtmpProtocolError } from '../../src/rtmp/errors';
import { byteByByte, fill, hex, prng, randomSplits } from './helpers';

const C1_RANDOM = fill(1528, 0x11);
const S1_RANDOM = fill(1528, 0x77);

/** S0 + S1 as a server sends them: version 3, time 0x0a0b0c0d, zero, random. */
const S0S1 = Buffer.concat([hex('03'), hex('0a0b0c0d'), hex('00000000'), S1_RANDOM]);
/** An S2 that echoes our C1 (time 0x00001000, read at 0x00002000). */
const S2_ECHO = Buffer.concat([hex('00001000'), hex('00002000'), C1_RANDOM]);

describe('handshake packets', () => {
  test('constants', () => {
    expect(RTMP_VERSION).toBe(3);
    expect(HANDSHAKE_SIZE).toBe(1536);
  });

  test('C0C1 is version 3, time, four zero bytes, 1528 random bytes', () => {
    const c0c1 = createC0C1(0x01020304, C1_RANDOM);
    expect(c0c1.length).toBe(1537);
    expect(c0c1.subarray(0, 9).toString('hex')).toBe(
      '03' + // C0: version
        '01020304' + // C1 time
        '00000000', // C1 zero
    );
    expect(c0c1.subarray(9).equals(C1_RANDOM)).toBe(true);
  });

  test('C0C1 without given random bytes has fresh ones', () => {
    const a = createC0C1(0);
    const b = createC0C1(0);
    expect(a.length).toBe(1537);
    expect(a.subarray(9).equals(b.subarray(9))).toBe(false);
  });

  test('C2 echoes S1: its time, our read time, its random bytes', () => {
    const c2 = createC2(S0S1.subarray(1), 0x00000bb8);
    expect(c2.length).toBe(1536);
    expect(c2.subarray(0, 8).toString('hex')).toBe(
      '0a0b0c0d' + // time: S1's time
        '00000bb8', // time2: when we read S1 (3000 ms)
    );
    expect(c2.subarray(8).equals(S1_RANDOM)).toBe(true);
  });

  test('C2 refuses an S1 of the wrong size', () => {
    expect(() => createC2(Buffer.alloc(100), 0)).toThrow(RangeError);
  });
});

describe('ClientHandshake', () => {
  function clock(...times: number[]): () => number {
    let i = 0;
    return () => times[Math.min(i++, times.length - 1)];
  }

  test('start gives C0C1 with the clock time', () => {
    const hs = new ClientHandshake(clock(0x1000), C1_RANDOM);
    expect(hs.start().equals(createC0C1(0x1000, C1_RANDOM))).toBe(true);
  });

  test('S0S1 gets C2, S2 completes it', () => {
    const hs = new ClientHandshake(clock(0x1000, 0x2000), C1_RANDOM);
    hs.start();
    const step1 = hs.push(S0S1);
    expect(step1.done).toBe(false);
    expect(step1.send?.equals(createC2(S0S1.subarray(1), 0x2000))).toBe(true);
    expect(hs.serverTime).toBe(0x0a0b0c0d);
    expect(hs.s2EchoMatched).toBeUndefined();
    const step2 = hs.push(S2_ECHO);
    expect(step2).toEqual({ done: true });
    expect(hs.done).toBe(true);
    expect(hs.s2EchoMatched).toBe(true);
  });

  test('S0S1S2 and the first chunks in one read: C2, done, and the rest returned', () => {
    const hs = new ClientHandshake(clock(0x1000, 0x2000), C1_RANDOM);
    hs.start();
    const chunks = hex('02', '000000', '000004', '05', '00000000', '002625a0'); // Window Ack Size
    const step = hs.push(Buffer.concat([S0S1, S2_ECHO, chunks]));
    expect(step.done).toBe(true);
    expect(step.send?.length).toBe(1536);
    expect(step.rest?.toString('hex')).toBe(chunks.toString('hex'));
  });

  test.each([
    ['byte by byte', (b: Buffer) => byteByByte(b)],
    ['random splits', (b: Buffer) => randomSplits(b, prng(7), 700)],
  ])('any split of the server bytes (%s) gives the same result', (_name, split) => {
    const hs = new ClientHandshake(clock(0x1000, 0x2000), C1_RANDOM);
    hs.start();
    const tail = hex('c3', 'aabbcc');
    const sent: Buffer[] = [];
    const rest: Buffer[] = [];
    let done = false;
    for (const piece of split(Buffer.concat([S0S1, S2_ECHO, tail]))) {
      if (done) {
        rest.push(piece);
        continue;
      }
      const step = hs.push(piece);
      if (step.send) sent.push(step.send);
      if (step.rest) rest.push(step.rest);
      done = step.done;
    }
    expect(done).toBe(true);
    expect(sent).toHaveLength(1);
    expect(sent[0].equals(createC2(S0S1.subarray(1), 0x2000))).toBe(true);
    expect(Buffer.concat(rest).toString('hex')).toBe(tail.toString('hex'));
    expect(hs.s2EchoMatched).toBe(true);
  });

  test('a server version other than 3 is refused as soon as S0 arrives', () => {
    const hs = new ClientHandshake(clock(0), C1_RANDOM);
    hs.start();
    expect(() => hs.push(hex('06'))).toThrow(RtmpProtocolError);
  });

  test('an S2 that does not echo C1 is tolerated and reported', () => {
    const hs = new ClientHandshake(clock(0), C1_RANDOM);
    hs.start();
    const step = hs.push(Buffer.concat([S0S1, Buffer.alloc(1536)]));
    expect(step.done).toBe(true);
    expect(hs.s2EchoMatched).toBe(false);
  });

  test('misuse is refused: push before start, push after done, start twice', () => {
    const hs = new ClientHandshake(clock(0), C1_RANDOM);
    expect(() => hs.push(S0S1)).toThrow(Error);
    hs.start();
    expect(() => hs.start()).toThrow(Error);
    hs.push(Buffer.concat([S0S1, S2_ECHO]));
    expect(() => hs.push(hex('00'))).toThrow(Error);
  });

  test('keeps its own copy of partial input', () => {
    const hs = new ClientHandshake(clock(0x1000, 0x2000), C1_RANDOM);
    hs.start();
    const first = Buffer.from(S0S1.subarray(0, 100));
    hs.push(first);
    first.fill(0xee);
    const step = hs.push(S0S1.subarray(100));
    expect(step.send?.equals(createC2(S0S1.subarray(1), 0x2000))).toBe(true);
  });
});
