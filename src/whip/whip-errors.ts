/**
 * Every error a WHIP request can get: its HTTP status (RFC 9725 and RFC 9110) and a text
 * body for people (encoders log it; OBS shows it). Never a token or a stream key.
 */
export const WHIP_ERRORS = {
  BAD_SDP: 400,
  NO_STREAM_NAME: 400,
  BAD_RTMP_URL: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NO_SESSION: 404,
  PATCH_NOT_SUPPORTED: 405,
  NAME_IN_USE: 409,
  UNSUPPORTED_CONTENT_TYPE: 415,
  NO_ACCEPTABLE_CODEC: 422,
  INTERNAL: 500,
  STREAM_LIMIT: 503,
  /** The cluster's Redis cannot be reached: new publishes are refused until it is back. */
  CLUSTER_UNAVAILABLE: 503,
} as const;

export type WhipErrorCode = keyof typeof WHIP_ERRORS;

export class WhipError extends Error {
  readonly status: number;

  constructor(readonly code: WhipErrorCode, message: string) {
    super(message);
    this.name = 'WhipError';
    this.status = WHIP_ERRORS[code];
  }
}
