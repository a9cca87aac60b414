/**
 * The simple RTMP handshake, client side (Adobe RTMP specification 1.0, section 5.2).
 *
 *   client                         server
 *   C0 (version) + C1 (1536) --->
 *                           <---   S0 + S1
 *   C2 (echo of S1)          --->
 *                           <---   S2 (echo of C1)
 *
 * C1/S1: time (4) | zero (4) | random (1528).
 * C2/S2: time (4, the peer's time from S1/C1) | time2 (4, when we read it) |
 *        random echo (1528, the peer's random bytes).
 *
 * No digest ("complex") handshake: every server we relay to accepts the simple one
 * from a client. Pure: the clock and the random bytes are given.
 */
import { randomBytes } from 'node:crypto';
import { RtmpProtocolError } from './errors';

export const RTMP_VERSION = 3;
export const HANDSHAKE_SIZE = 1536;
const RANDOM_OFFSET = 8;
const RANDOM_SIZE = HANDSHAKE_SIZE - RANDOM_OFFSET;

/** C0 + C1: 1537 bytes. `random` (1528 bytes) defaults to crypto random bytes. */
export function createC0C1(timeMs: number, random?: Buffer): Buffer {
  const rnd = random ?? randomBytes(RANDOM_SIZE);
  if (rnd.length !== RANDOM_SIZE) {
    throw new RangeError(`C1 random must be ${RANDOM_SIZE} bytes, got ${rnd.length}`);
  }
  const out = Buffer.alloc(1 + HANDSHAKE_SIZE);
  out[0] = RTMP_VERSION;
  out.writeUInt32BE(Math.trunc(timeMs) >>> 0, 1);
  // bytes 5..8 stay zero, as the spec requires of C1
  rnd.copy(out, 1 + RANDOM_OFFSET);
  return out;
}

/** C2 (1536 bytes) answering S1: its time, the time we read S1, its random bytes. */
export function createC2(s1: Buffer, readTimeMs: number): Buffer {
  if (s1.length !== HANDSHAKE_SIZE) {
    throw new RangeError(`S1 must be ${HANDSHAKE_SIZE} bytes, got ${s1.length}`);
  }
  const out = Buffer.allocUnsafe(HANDSHAKE_SIZE);
  s1.copy(out, 0, 0, 4);
  out.writeUInt32BE(Math.trunc(readTimeMs) >>> 0, 4);
  s1.copy(out, RANDOM_OFFSET, RANDOM_OFFSET);
  return out;
}

type Phase = 'idle' | 'awaitS0S1' | 'awaitS2' | 'done';

export interface HandshakeStep {
  /** Bytes to write to the server now (C2). */
  send?: Buffer;
  /** S2 arrived: the chunk stream starts. */
  done: boolean;
  /** Bytes the server sent after S2 (already chunk stream data). */
  rest?: Buffer;
}

/** Byte-driven client handshake: feed it whatever the socket delivers. */
export class ClientHandshake {
  /**
   * Whether S2 echoed our C1 random bytes; undefined until S2 arrived. Informational
   * only: servers answering with the digest handshake's S2 do not echo C1 verbatim,
   * and clients in the wild go on regardless.
   */
  s2EchoMatched: boolean | undefined;
  /** The time field of S1, once received. */
  serverTime: number | undefined;

  private phase: Phase = 'idle';
  private c1Random: Buffer | undefined;
  private buffered: Buffer = Buffer.alloc(0);

  constructor(
    private readonly now: () => number,
    private readonly random?: Buffer,
  ) {}

  get done(): boolean {
    return this.phase === 'done';
  }

  /** C0 + C1, to send first. */
  start(): Buffer {
    if (this.phase !== 'idle') throw new Error('handshake already started');
    const c0c1 = createC0C1(this.now(), this.random);
    this.c1Random = Buffer.from(c0c1.subarray(1 + RANDOM_OFFSET));
    this.phase = 'awaitS0S1';
    return c0c1;
  }

  push(data: Buffer): HandshakeStep {
    if (this.phase === 'idle') throw new Error('handshake not started: call start() first');
    if (this.phase === 'done') throw new Error('handshake already complete');
    // Always a copy: the caller may reuse its buffer once push() returns.
    this.buffered = Buffer.concat([this.buffered, data]);

    let send: Buffer | undefined;
    if (this.phase === 'awaitS0S1') {
      if (this.buffered.length >= 1 && this.buffered[0] !== RTMP_VERSION) {
        throw new RtmpProtocolError(`server answered RTMP version ${this.buffered[0]}, expected ${RTMP_VERSION}`);
      }
      if (this.buffered.length < 1 + HANDSHAKE_SIZE) return { done: false };
      const s1 = this.buffered.subarray(1, 1 + HANDSHAKE_SIZE);
      this.serverTime = s1.readUInt32BE(0);
      send = createC2(s1, this.now());
      this.buffered = this.buffered.subarray(1 + HANDSHAKE_SIZE);
      this.phase = 'awaitS2';
    }

    if (this.buffered.length < HANDSHAKE_SIZE) {
      return send ? { send, done: false } : { done: false };
    }
    const s2 = this.buffered.subarray(0, HANDSHAKE_SIZE);
    this.s2EchoMatched = (this.c1Random as Buffer).equals(s2.subarray(RANDOM_OFFSET));
    const rest = this.buffered.length > HANDSHAKE_SIZE ? this.buffered.subarray(HANDSHAKE_SIZE) : undefined;
    this.buffered = Buffer.alloc(0);
    this.phase = 'done';
    const step: HandshakeStep = { done: true };
    if (send) step.send = send;
    if (rest) step.rest = rest;
    return step;
  }
}
