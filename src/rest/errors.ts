/**
 * The error catalogue of the REST API: every code the API can answer with, its HTTP
 * status, and one body shape for all of them. Routes and hooks throw `RestError` or let a
 * `TransponderError` through; the one error handler in rest-server.ts uses `toErrorReply`.
 */
import { TransponderError, type TransponderErrorCode } from '../transponder/transponder-api';

/** Codes of the HTTP layer itself, beside the transponder's own. */
export type HttpErrorCode =
  | 'BAD_JSON'
  | 'UNSUPPORTED_CONTENT_TYPE'
  | 'BODY_NOT_OBJECT'
  | 'BODY_TOO_LARGE'
  | 'BAD_REQUEST'
  | 'UNAUTHORIZED'
  | 'TOO_MANY_AUTH_FAILURES'
  | 'ROUTE_NOT_FOUND'
  | 'SETTINGS_INVALID'
  | 'RELOAD_UNAVAILABLE'
  | 'CLUSTER_UNAVAILABLE'
  | 'INTERNAL_ERROR';

export type RestErrorCode = TransponderErrorCode | HttpErrorCode;

/** The body of every error answer. */
export interface ErrorBody {
  /** The HTTP reason phrase, e.g. "Bad Request". */
  error: string;
  code: RestErrorCode;
  message: string;
  /** The request field at fault (dotted path, e.g. `options.soundFile`), when there is one. */
  field?: string;
  /** DESTINATION_REFUSED: the destination guard's rule that refused the rtmpUrl. */
  rule?: string;
}

interface CatalogueEntry {
  status: number;
  /** Used when the thrower gave no message. */
  message: string;
}

export const ERROR_CATALOGUE: Readonly<Record<RestErrorCode, CatalogueEntry>> = {
  // Transponder codes.
  INVALID_RTMP_URL: { status: 400, message: 'rtmpUrl is not a valid rtmp:// or rtmps:// URL' },
  // WCS answers 400 when the host "cannot be resolved by DNS".
  RTMP_HOST_NOT_FOUND: { status: 400, message: 'The RTMP host cannot be resolved' },
  // The destination guard (src/access/destination-guard.ts) refused it; `rule` names the rule.
  DESTINATION_REFUSED: { status: 400, message: 'The destination is refused' },
  INVALID_PARAMETER: { status: 400, message: 'Invalid parameter' },
  STREAM_NOT_FOUND: { status: 404, message: 'Stream not found' },
  TRANSPONDER_NOT_FOUND: { status: 404, message: 'Transponder not found' },
  TRANSPONDER_EXISTS: { status: 409, message: 'A transponder for this stream and rtmpUrl already exists' },
  // It is still listed (TERMINATED or FAILED, for a while) but can no longer be changed.
  TRANSPONDER_ENDED: { status: 409, message: 'The transponder has ended' },
  // WCS: "404 - No such file".
  SOUND_FILE_NOT_FOUND: { status: 404, message: 'No such file' },
  SOUND_FILE_OUTSIDE_MEDIA_DIR: { status: 400, message: 'soundFile must be inside the media directory' },
  BAD_SOUND_FILE: { status: 400, message: 'soundFile is not a supported WAV file' },
  // Expected and temporary: the client may retry once a transponder ends.
  LIMIT_REACHED: { status: 503, message: 'The transponder limit is reached' },
  // The service is stopping (SIGTERM): a load balancer's retry goes to another instance.
  SERVICE_STOPPING: { status: 503, message: 'The service is stopping' },
  // HTTP codes.
  BAD_JSON: { status: 400, message: 'The body is not valid JSON' },
  UNSUPPORTED_CONTENT_TYPE: { status: 400, message: 'The body must be JSON (Content-Type: application/json)' },
  BODY_NOT_OBJECT: { status: 400, message: 'The body must be a JSON object' },
  // The brief asks for 400 rather than 413 so every bad body is one status.
  BODY_TOO_LARGE: { status: 400, message: 'The body is larger than the limit' },
  BAD_REQUEST: { status: 400, message: 'Bad request' },
  UNAUTHORIZED: { status: 401, message: 'Authentication required' },
  // Sent with Retry-After by the failure limiter (auth-failure-limiter.ts).
  TOO_MANY_AUTH_FAILURES: { status: 429, message: 'Too many failed authentications from this address' },
  ROUTE_NOT_FOUND: { status: 404, message: 'No such route' },
  // POST /settings/reload: the file on disk cannot be used; the running settings stay.
  SETTINGS_INVALID: { status: 422, message: 'The settings file is invalid: nothing was changed' },
  // The service was started without a settings file to re-read (an embedded service).
  RELOAD_UNAVAILABLE: { status: 409, message: 'This service was started without a settings file' },
  // GET /cluster/nodes while Redis cannot be read: temporary, the node reconnects by itself.
  CLUSTER_UNAVAILABLE: { status: 503, message: 'The cluster directory (Redis) is unavailable' },
  INTERNAL_ERROR: { status: 500, message: 'Internal error' },
};

const REASONS: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  422: 'Unprocessable Entity',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export function reasonPhrase(status: number): string {
  return REASONS[status] ?? (status >= 500 ? 'Internal Server Error' : 'Bad Request');
}

/** An error raised by the HTTP layer (parsing, validation, auth). */
export class RestError extends Error {
  override readonly name = 'RestError';
  /** Read by fastify (validation errors keep it). */
  readonly statusCode: number;

  constructor(
    readonly code: RestErrorCode,
    message?: string,
    readonly field?: string,
  ) {
    super(message ?? ERROR_CATALOGUE[code].message);
    this.statusCode = ERROR_CATALOGUE[code].status;
  }
}

export interface ErrorReply {
  status: number;
  body: ErrorBody;
  /** true when the error was not expected: the caller logs it with its cause. */
  unexpected: boolean;
}

/** Fastify's own client errors that we name with our codes. */
const FASTIFY_CODES: Readonly<Record<string, HttpErrorCode>> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'BODY_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_CONTENT_TYPE',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'BAD_JSON',
  FST_ERR_CTP_INVALID_JSON_BODY: 'BAD_JSON',
};

function reply(code: RestErrorCode, message: string, field?: string, unexpected = false, rule?: string): ErrorReply {
  const status = ERROR_CATALOGUE[code].status;
  const body: ErrorBody = { error: reasonPhrase(status), code, message };
  if (field !== undefined) body.field = field;
  if (rule !== undefined) body.rule = rule;
  return { status, body, unexpected };
}

function isKnownCode(code: unknown): code is RestErrorCode {
  return typeof code === 'string' && Object.prototype.hasOwnProperty.call(ERROR_CATALOGUE, code);
}

/**
 * Maps anything thrown while serving a request to a status and a body. Only messages of
 * our own errors reach the client; anything else becomes a generic 500.
 */
export function toErrorReply(err: unknown): ErrorReply {
  if (err instanceof RestError) return reply(err.code, err.message, err.field);
  if (err instanceof TransponderError) {
    // A code outside the catalogue is a bug in the implementation, not the client's fault.
    if (!isKnownCode(err.code)) return reply('INTERNAL_ERROR', ERROR_CATALOGUE.INTERNAL_ERROR.message, undefined, true);
    return reply(err.code, err.message || ERROR_CATALOGUE[err.code].message, err.field, false, err.rule);
  }
  if (err instanceof Error) {
    const e = err as Error & { code?: unknown; statusCode?: unknown };
    const mapped = typeof e.code === 'string' ? FASTIFY_CODES[e.code] : undefined;
    if (mapped) return reply(mapped, ERROR_CATALOGUE[mapped].message);
    // Other client errors raised by fastify itself (bad Content-Length, aborted body...).
    if (typeof e.code === 'string' && e.code.startsWith('FST_') && typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
      return { status: e.statusCode, body: { error: reasonPhrase(e.statusCode), code: 'BAD_REQUEST', message: e.message }, unexpected: false };
    }
  }
  return reply('INTERNAL_ERROR', ERROR_CATALOGUE.INTERNAL_ERROR.message, undefined, true);
}
