/** Any malformed VP8/VP9 input (RTP payload descriptor or frame header): our readers throw this and nothing else. */
export class VpxError extends Error {
  override readonly name = 'VpxError';
}
