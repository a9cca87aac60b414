/** Public surface of the REST API (/rest-api/push/*). */
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
export { registerPushRoutes, PUSH_PATHS, type PushPath } from './push-routes';
export {
  StartupBody,
  FindBody,
  FindAllBody,
  SessionBody,
  SoundOnBody,
  LIMITS,
  parseBody,
  validationError,
  toTransponderJson,
  type TransponderJson,
} from './schemas';
export { AuthFailureLimiter, type AuthFailureLimiterOptions, type AuthFailureLimiterStats } from './auth-failure-limiter';
