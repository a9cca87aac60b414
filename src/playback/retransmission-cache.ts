/**
 * The packets one viewer stream sent lately, by output sequence number, to answer its
 * NACKs (RFC 4585 6.2.1). A ring indexed by the sequence number: a slot holds the last
 * packet that mapped to it, and a lookup checks both the number and the age, so a miss
 * is a miss (never a packet from 1024 numbers earlier).
 */
export class RetransmissionCache<P> {
  private readonly seqs: Int32Array;
  private readonly times: Float64Array;
  private readonly packets: Array<P | undefined>;
  private readonly mask: number;
  hits = 0;
  misses = 0;

  /** `slots` is rounded up to a power of two; entries older than `maxAgeMs` are misses. */
  constructor(slots: number, private readonly maxAgeMs: number) {
    let size = 1;
    while (size < slots) size <<= 1;
    this.mask = size - 1;
    this.seqs = new Int32Array(size).fill(-1);
    this.times = new Float64Array(size);
    this.packets = new Array<P | undefined>(size);
  }

  put(sequenceNumber: number, packet: P, nowMs: number): void {
    const i = sequenceNumber & this.mask;
    this.seqs[i] = sequenceNumber;
    this.times[i] = nowMs;
    this.packets[i] = packet;
  }

  /** The packet sent with this number within maxAgeMs, or undefined (counted). */
  get(sequenceNumber: number, nowMs: number): P | undefined {
    const i = sequenceNumber & this.mask;
    if (this.seqs[i] !== sequenceNumber || nowMs - this.times[i]! > this.maxAgeMs) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    return this.packets[i];
  }

  clear(): void {
    this.seqs.fill(-1);
    this.packets.fill(undefined);
  }
}
