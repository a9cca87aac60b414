/**
 * Puts the RTP packets of one track back in sequence order and waits a bounded time
 * for a missing one (which a NACK may bring back) before it gives up on it.
 *
 * Waiting is measured on the media's own clock, as werift's buffer does: a gap is given
 * up on once a packet arrives whose RTP timestamp is more than `latencyMs` after that of
 * the first packet held behind the gap, so a stream that pauses holds nothing back early.
 * When it gives up, it reports how many packets were lost and releases what it held, in
 * order, up to the next gap: nothing that arrived is thrown away (werift 0.25.2's
 * JitterBuffer moved on to the newest packet instead and dropped the ones in between).
 * Packets that arrive after their gap was given up on, and duplicates, are dropped.
 */
export interface SequencedPacket {
  header: { sequenceNumber: number; timestamp: number };
}

export interface JitterBufferSink<P> {
  packet(packet: P): void;
  /** `count` packets, up to the next one released, will never come */
  lost(count: number): void;
}

/** Held packets beyond which the oldest gap is given up on whatever the timestamps say. */
const MAX_HELD = 1000;

export class JitterBuffer<P extends SequencedPacket> {
  private readonly held = new Map<number, P>();
  /** the sequence number released next */
  private next?: number;
  private readonly latencyTicks: number;

  constructor(
    clockRate: number,
    latencyMs: number,
    private readonly sink: JitterBufferSink<P>,
  ) {
    this.latencyTicks = (clockRate * latencyMs) / 1000;
  }

  /** packets held behind a gap */
  get size(): number {
    return this.held.size;
  }

  input(packet: P): void {
    const seq = packet.header.sequenceNumber;
    if (this.next === undefined) this.next = seq;
    const ahead = (seq - this.next) & 0xffff;
    if (ahead >= 0x8000 || this.held.has(seq)) return; // late (given up on, or released) or a duplicate
    if (ahead === 0) {
      this.next = (seq + 1) & 0xffff;
      this.sink.packet(packet);
      this.releaseInOrder();
    } else {
      this.held.set(seq, packet);
    }
    this.giveUpOnOldGaps(packet.header.timestamp);
  }

  /** Drops what is held (the track ends). */
  clear(): void {
    this.held.clear();
  }

  private releaseInOrder(): void {
    for (let p = this.held.get(this.next!); p; p = this.held.get(this.next!)) {
      this.held.delete(this.next!);
      this.next = (this.next! + 1) & 0xffff;
      this.sink.packet(p);
    }
  }

  /** While the first packet behind the gap waited longer than the latency, skip the gap. */
  private giveUpOnOldGaps(newestTimestamp: number): void {
    while (this.held.size > 0) {
      const first = this.firstHeld();
      const waited = signed32(newestTimestamp - first.header.timestamp);
      if (waited <= this.latencyTicks && this.held.size <= MAX_HELD) return;
      const firstSeq = first.header.sequenceNumber;
      this.sink.lost((firstSeq - this.next!) & 0xffff);
      this.next = firstSeq;
      this.releaseInOrder();
    }
  }

  /** The held packet with the lowest sequence number counted from `next`. */
  private firstHeld(): P {
    let best: P | undefined;
    let bestAhead = Infinity;
    for (const [seq, p] of this.held) {
      const ahead = (seq - this.next!) & 0xffff;
      if (ahead < bestAhead) {
        bestAhead = ahead;
        best = p;
      }
    }
    return best!;
  }
}

/** A 32-bit RTP timestamp difference as a signed number. */
function signed32(diff: number): number {
  return diff | 0;
}
