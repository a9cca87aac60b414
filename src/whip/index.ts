/** WHIP ingest (RFC 9725): the endpoint and its routes. */
export { WhipEndpoint, type WhipParts, type WhipPublishRequest, type WhipAnswer } from './whip-endpoint';
export { registerWhipRoutes, WHIP_PATH, WHIP_SESSION_PATH } from './whip-routes';
export { WhipSession, DELETED_BY_CLIENT } from './whip-session';
export { WhipError, WHIP_ERRORS, type WhipErrorCode } from './whip-errors';
export { iceServerLinks } from './ice-server-links';
export type { WhipOptions } from './whip-options';
