/**
 * The RTP payload format for H.264 (RFC 6184) in non-interleaved mode
 * (packetization-mode=1), the mode browsers use: single NAL unit packets (types 1-23),
 * STAP-A aggregation (24, section 5.7.1) and FU-A fragmentation (28, section 5.8).
 * Pure functions over payload bytes; sequence numbers and timing belong to the caller.
 */
import { H264Error } from './h264-sps';

const STAP_A = 24;
const FU_A = 28;

/** What one RTP payload carries. */
export type H264RtpPayload =
  /** a single NAL unit packet or a STAP-A: whole NAL units */
  | { kind: 'nal-units'; nalUnits: Buffer[] }
  /** one FU-A fragment; `nalHeader` is the header byte of the fragmented NAL unit */
  | { kind: 'fragment'; start: boolean; end: boolean; nalHeader: number; data: Buffer };

/**
 * Reads one RTP payload. Throws H264Error on a payload that is malformed or uses a
 * packet type of another packetization mode (STAP-B, MTAP, FU-B). Types 0, 30 and 31
 * are undefined by RFC 6184 and ignored (5.4): no NAL units.
 */
export function parseH264RtpPayload(payload: Buffer): H264RtpPayload {
  if (payload.length === 0) throw new H264Error('empty H.264 RTP payload');
  const type = payload[0] & 0x1f;
  if (type >= 1 && type <= 23) return { kind: 'nal-units', nalUnits: [payload] };
  if (type === STAP_A) return { kind: 'nal-units', nalUnits: readStapA(payload) };
  if (type === FU_A) {
    if (payload.length < 3) throw new H264Error('FU-A shorter than its two header bytes and one byte of data');
    const fuHeader = payload[1];
    const start = (fuHeader & 0x80) !== 0;
    const end = (fuHeader & 0x40) !== 0;
    if (start && end) throw new H264Error('FU-A with both the start and the end bit set');
    // The NAL header: F and NRI from the FU indicator, the type from the FU header (5.8).
    const nalHeader = (payload[0] & 0xe0) | (fuHeader & 0x1f);
    return { kind: 'fragment', start, end, nalHeader, data: payload.subarray(2) };
  }
  if (type === 0 || type === 30 || type === 31) return { kind: 'nal-units', nalUnits: [] };
  throw new H264Error(`H.264 RTP packet type ${type} is not used in packetization-mode 1`);
}

/** STAP-A: the STAP-A NAL header, then 16-bit size + NAL unit, repeated (5.7.1, Figure 7). */
function readStapA(payload: Buffer): Buffer[] {
  const nals: Buffer[] = [];
  let pos = 1;
  while (pos < payload.length) {
    if (pos + 2 > payload.length) throw new H264Error('STAP-A NAL unit size truncated');
    const size = payload.readUInt16BE(pos);
    pos += 2;
    if (size === 0) throw new H264Error('STAP-A with an empty NAL unit');
    if (pos + size > payload.length) throw new H264Error(`STAP-A NAL unit of ${size} bytes runs past the payload`);
    nals.push(payload.subarray(pos, pos + size));
    pos += size;
  }
  if (nals.length === 0) throw new H264Error('STAP-A without NAL units');
  return nals;
}

/**
 * The NAL units of one access unit from its RTP payloads in sequence order, FU-A
 * fragments joined. Throws H264Error when the payloads do not form whole NAL units
 * (a fragment without its start or end, another packet inside a fragmented NAL unit):
 * the caller lost a packet.
 */
export function nalUnitsFromRtpPayloads(payloads: Buffer[]): Buffer[] {
  const nals: Buffer[] = [];
  let fragments: Buffer[] | undefined;
  let fragmentType = 0;
  for (const payload of payloads) {
    const parsed = parseH264RtpPayload(payload);
    if (parsed.kind === 'nal-units') {
      if (fragments) throw new H264Error('a NAL unit inside a fragmented NAL unit');
      nals.push(...parsed.nalUnits);
      continue;
    }
    if (parsed.start) {
      if (fragments) throw new H264Error('a new FU-A starts before the previous one ended');
      fragments = [Buffer.from([parsed.nalHeader]), parsed.data];
      fragmentType = parsed.nalHeader & 0x1f;
      continue;
    }
    if (!fragments) throw new H264Error('an FU-A fragment without its start');
    if ((parsed.nalHeader & 0x1f) !== fragmentType) throw new H264Error('FU-A fragments of different NAL unit types');
    fragments.push(parsed.data);
    if (parsed.end) {
      nals.push(Buffer.concat(fragments));
      fragments = undefined;
    }
  }
  if (fragments) throw new H264Error('an FU-A without its end');
  return nals;
}
