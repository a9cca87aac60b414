/**
 * Reads the packets of an Ogg stream (RFC 3533): pages start with "OggS", a segment
 * table of lacing values gives the packet boundaries (a value below 255 ends a packet).
 * Pure; enough for one logical stream as ffmpeg writes an Ogg Opus file.
 */

export class OggError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OggError';
  }
}

/** Every packet of the file, in order, across page boundaries. */
export function oggPackets(data: Buffer): Buffer[] {
  const packets: Buffer[] = [];
  let pending: Buffer[] = [];
  let offset = 0;
  while (offset < data.length) {
    if (offset + 27 > data.length || data.toString('latin1', offset, offset + 4) !== 'OggS') {
      throw new OggError(`no Ogg page at byte ${offset}`);
    }
    const segments = data[offset + 26]!;
    const tableEnd = offset + 27 + segments;
    if (tableEnd > data.length) throw new OggError(`segment table of the page at byte ${offset} is cut`);
    let body = tableEnd;
    for (let i = 0; i < segments; i++) {
      const lace = data[offset + 27 + i]!;
      if (body + lace > data.length) throw new OggError(`page at byte ${offset} is cut`);
      pending.push(data.subarray(body, body + lace));
      body += lace;
      if (lace < 255) {
        packets.push(pending.length === 1 ? pending[0]! : Buffer.concat(pending));
        pending = [];
      }
    }
    offset = body;
  }
  return packets;
}

/** The Opus audio packets of an Ogg Opus file (RFC 7845): without OpusHead and OpusTags. */
export function oggOpusPackets(data: Buffer): Buffer[] {
  const packets = oggPackets(data);
  if (packets[0]?.toString('latin1', 0, 8) !== 'OpusHead') throw new OggError('not an Ogg Opus file (no OpusHead)');
  return packets.slice(1).filter((p) => p.toString('latin1', 0, 8) !== 'OpusTags' && p.length > 0);
}
