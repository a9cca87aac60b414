/**
 * Errors of the RTMP wire code.
 *
 * Every decoder in src/rtmp/ turns bad input (truncated, malformed or hostile bytes)
 * into one of these, never into a RangeError from Buffer or a stack overflow, so the
 * connection owner can close with one clear reason. Misuse by our own code (a chunk
 * stream id out of range, a payload too big to frame) is a programming error and
 * throws a plain RangeError instead.
 */
export class RtmpProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RtmpProtocolError';
  }
}
