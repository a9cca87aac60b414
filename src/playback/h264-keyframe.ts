/**
 * Whether an H.264 RTP payload (RFC 6184, packetization-mode 1) begins a keyframe: a
 * viewer starts there. Browsers send SPS and PPS ahead of each IDR picture, alone or in a
 * STAP-A, so the first packet of a keyframe carries the SPS; an IDR slice without one
 * ahead of it (single NAL or the first FU-A fragment) also counts.
 */
const SPS = 7;
const IDR = 5;
const STAP_A = 24;
const FU_A = 28;

export function startsH264Keyframe(payload: Uint8Array): boolean {
  if (payload.length < 2) return false;
  const type = payload[0]! & 0x1f;
  if (type === SPS || type === IDR) return true;
  if (type === STAP_A) {
    // STAP-A: header byte, then 16-bit size and the first NAL unit.
    if (payload.length < 4) return false;
    const first = payload[3]! & 0x1f;
    return first === SPS || first === IDR;
  }
  if (type === FU_A) return (payload[1]! & 0x80) !== 0 && (payload[1]! & 0x1f) === IDR;
  return false;
}
