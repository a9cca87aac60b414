/**
 * PCM held until it makes whole encoder frames. An AAC encoder can do nothing with part
 * of a 1024-sample frame, so handing it one only wakes it for nothing: the part waits
 * here for a later write, at no cost in latency. Buffers are kept as given (no copy).
 */
export class PcmFrameBatcher {
  private pending: Buffer[] = [];
  private pendingBytes = 0;

  constructor(private readonly frameBytes: number) {}

  /** Bytes held: whole frames not yet taken, and the part of a frame after them. */
  get heldBytes(): number {
    return this.pendingBytes;
  }

  /** True when at least one whole frame is held. */
  get hasWholeFrame(): boolean {
    return this.pendingBytes >= this.frameBytes;
  }

  add(bytes: Buffer): void {
    this.pending.push(bytes);
    this.pendingBytes += bytes.length;
  }

  /** Every whole frame held, in order; the part of a frame after them stays. */
  takeWholeFrames(): { chunks: Buffer[]; bytes: number } {
    const bytes = this.pendingBytes - (this.pendingBytes % this.frameBytes);
    const chunks: Buffer[] = [];
    for (let left = bytes; left > 0; ) {
      const b = this.pending[0];
      if (b.length <= left) {
        chunks.push(b);
        this.pending.shift();
        left -= b.length;
      } else {
        // the frame ends inside this buffer: its head goes now, its tail waits
        chunks.push(b.subarray(0, left));
        this.pending[0] = b.subarray(left);
        left = 0;
      }
    }
    this.pendingBytes -= bytes;
    return { chunks, bytes };
  }

  /** Everything held, the last part of a frame too. */
  takeAll(): { chunks: Buffer[]; bytes: number } {
    const taken = { chunks: this.pending, bytes: this.pendingBytes };
    this.pending = [];
    this.pendingBytes = 0;
    return taken;
  }
}
