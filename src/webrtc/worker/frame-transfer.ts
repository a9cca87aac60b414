/**
 * Frames cross the thread boundary as one fresh ArrayBuffer each, transferred (moved, not
 * cloned): the received buffers are views into larger werift and pool buffers that cannot
 * be transferred themselves, so each frame costs one copy of its bytes.
 */

/** Copies `parts` back to back into a new ArrayBuffer; `sizes` lets the other side cut them apart. */
export function packParts(parts: readonly Uint8Array[]): { data: ArrayBuffer; sizes: number[] } {
  let total = 0;
  const sizes = new Array<number>(parts.length);
  for (let i = 0; i < parts.length; i++) {
    sizes[i] = parts[i].byteLength;
    total += sizes[i];
  }
  const out = new Uint8Array(total);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.byteLength;
  }
  return { data: out.buffer, sizes };
}

/** One buffer copied into a new ArrayBuffer of its own size. */
export function packOne(part: Uint8Array): ArrayBuffer {
  const out = new Uint8Array(part.byteLength);
  out.set(part);
  return out.buffer;
}

/** The parts of `packParts`, as Buffers viewing the received ArrayBuffer (no copy). */
export function unpackParts(data: ArrayBuffer, sizes: readonly number[]): Buffer[] {
  const parts = new Array<Buffer>(sizes.length);
  let offset = 0;
  for (let i = 0; i < sizes.length; i++) {
    parts[i] = Buffer.from(data, offset, sizes[i]);
    offset += sizes[i];
  }
  return parts;
}
