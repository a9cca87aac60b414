/** Public surface of the REST API (/rest-api/push/*, /rest-api/stream/*, its OpenAPI document and docs page). */
export { createRestServer, scrubSecrets, REST_PREFIX, REST_BODY_LIMIT, type RestServerOptions, type RestLogger } from './rest-server';
export { RestAuthenticator, AUTH_REALM, WWW_AUTHENTICATE, type RestAuthOptions } from './auth';
export {
  ERROR_CATALOGUE,
  RestError,
  toErrorReply,
  reasonPhrase,
  type ErrorBody,
  type ErrorReply,
  type HttpErrorCode,
  type RestErrorCode,
} from './errors';
export { registerPushRoutes, PUSH_PATHS, PUSH_TAG, type PushPath } from './push-routes';
export { registerStreamRoutes, STREAM_PATHS, STREAM_TAG, type StreamPath } from './stream-routes';
export { StreamSchema, StreamMetricsSchema, toStreamJson, streamMetrics, matchesStreamFilter, type StreamJson, type StreamMetricsJson, type StreamFilter } from './stream-schemas';
export { OPENAPI_PATH, DOCS_PATH } from './api-docs';
export {
  apiResponses,
  emptyAnswer,
  ErrorBodySchema,
  API_ERROR_CODES,
  BODY_ERROR_CODES,
  type ZodFastifyInstance,
} from './route-schemas';
export {
  StartupBody,
  FindBody,
  FindAllBody,
  SessionBody,
  SoundOnBody,
  TransponderSchema,
  TransponderStatsSchema,
  LIMITS,
  parseBody,
  toTransponderJson,
  type TransponderJson,
} from './schemas';
export { AuthFailureLimiter, type AuthFailureLimiterOptions, type AuthFailureLimiterStats } from './auth-failure-limiter';
export { validationError, zodValidationError, fromProviderValidation } from './validation-error';
