/**
 * The WCS WebSocket protocol as the official WebSDK speaks it: every frame is JSON
 * `{message, data: [...]}`. Pure: parsing and building messages, no sockets.
 * The `info` texts are WCS's own where the WebSDK documents them (constants.js ERROR_INFO).
 */

export const WCS_INFO = {
  STREAM_NAME_ALREADY_IN_USE: 'Stream name is already in use',
  MEDIASESSION_ID_NULL: 'MediaSessionId is null',
  MEDIASESSION_ID_ALREADY_IN_USE: 'MediaSessionId is already in use',
  SESSION_NOT_READY: 'Session not ready',
  FAILED_BY_ICE_ERROR: 'Failed by ICE error',
  FAILED_BY_ICE_TIMEOUT: 'Failed by ICE timeout',
  FAILED_BY_RTP_ACTIVITY: 'Failed by RTP activity',
  FAILED_BY_ERROR: 'Failed by error',
  STOPPED_BY_SESSION_DISCONNECT: 'Stopped by session disconnect',
  STOPPED_BY_PUBLISHER_STOP: 'Stopped by publisher stop',
  STOPPED_BY_REST_TERMINATE: 'Stopped by rest /terminate',
  STOPPED_BY_USER: 'Stopped by user',
} as const;

export type StreamStatus = 'PENDING' | 'PUBLISHING' | 'UNPUBLISHED' | 'FAILED';

export interface WcsMessage {
  message: string;
  data: unknown[];
}

export type ParseResult = { ok: true; msg: WcsMessage } | { ok: false; error: string };

/** Text frame → message; never throws. */
export function parseMessage(text: string): ParseResult {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, error: 'Message is not JSON' };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { ok: false, error: 'Message is not a JSON object' };
  const { message, data } = value as Record<string, unknown>;
  if (typeof message !== 'string' || message.length === 0 || message.length > 64) return { ok: false, error: 'Message has no "message" name' };
  if (data !== undefined && data !== null && !Array.isArray(data)) return { ok: false, error: `"data" of ${message} is not an array` };
  return { ok: true, msg: { message, data: Array.isArray(data) ? data : [] } };
}

export function encodeMessage(message: string, payload: unknown): string {
  return JSON.stringify({ message, data: [payload] });
}

/** WCS's answer to a declined connection: the WebSDK passes it to SESSION_STATUS.WARN before the socket closes. */
export function encodeConnectionFailed(info: string): string {
  return encodeMessage('fail', { status: 'FAILED', info, apiMethod: 'ConnectionStatusEvent' });
}

/** setRemoteSDP is the one message whose data is two values, not one object. */
export function encodeSetRemoteSdp(mediaSessionId: string, sdp: string): string {
  return JSON.stringify({ message: 'setRemoteSDP', data: [mediaSessionId, sdp] });
}

export interface PublishRequest {
  mediaSessionId: string;
  name: string;
  sdp?: string;
  rtmpUrl?: string;
  bitrate?: number;
  minBitrate?: number;
  maxBitrate?: number;
  record: boolean;
  hasAudio?: boolean;
  hasVideo?: boolean;
  /** the page's own object (createStream({custom})), passed to the REST hooks */
  custom?: Record<string, unknown>;
}

export type PublishParse = { ok: true; req: PublishRequest } | { ok: false; mediaSessionId?: string; name?: string; error: string };

function optionalNumber(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isFinite(v) && v > 0) return v;
  if (typeof v === 'string' && /^\d+$/.test(v)) return Number(v);
  return undefined;
}

const NAME_RE = /^[^\u0000-\u001f\u007f]{1,256}$/;

/** publishStream's data[0] → request; the error names what is wrong. */
export function parsePublish(data: unknown[]): PublishParse {
  const o = data[0];
  if (typeof o !== 'object' || o === null || Array.isArray(o)) return { ok: false, error: 'publishStream needs an object in data[0]' };
  const r = o as Record<string, unknown>;
  const mediaSessionId = typeof r.mediaSessionId === 'string' && r.mediaSessionId.length > 0 && r.mediaSessionId.length <= 128 ? r.mediaSessionId : undefined;
  const name = typeof r.name === 'string' && NAME_RE.test(r.name) ? r.name : undefined;
  if (!mediaSessionId) return { ok: false, name, error: WCS_INFO.MEDIASESSION_ID_NULL };
  if (!name) return { ok: false, mediaSessionId, error: 'Stream name is missing or invalid' };
  if (r.rtmpUrl !== undefined && r.rtmpUrl !== null && r.rtmpUrl !== '' && typeof r.rtmpUrl !== 'string') return { ok: false, mediaSessionId, name, error: 'rtmpUrl is not a string' };
  return {
    ok: true,
    req: {
      mediaSessionId,
      name,
      sdp: typeof r.sdp === 'string' && r.sdp.length > 0 ? r.sdp : undefined,
      rtmpUrl: typeof r.rtmpUrl === 'string' && r.rtmpUrl.length > 0 ? r.rtmpUrl : undefined,
      bitrate: optionalNumber(r.bitrate),
      minBitrate: optionalNumber(r.minBitrate),
      maxBitrate: optionalNumber(r.maxBitrate),
      record: r.record === true,
      hasAudio: typeof r.hasAudio === 'boolean' ? r.hasAudio : undefined,
      hasVideo: typeof r.hasVideo === 'boolean' ? r.hasVideo : undefined,
      custom: typeof r.custom === 'object' && r.custom !== null && !Array.isArray(r.custom) ? (r.custom as Record<string, unknown>) : undefined,
    },
  };
}

/** The mediaSessionId of any message's data[0], for fail replies and unPublishStream. */
export function mediaSessionIdOf(data: unknown[]): string | undefined {
  const o = data[0];
  if (typeof o !== 'object' || o === null) return undefined;
  const id = (o as Record<string, unknown>).mediaSessionId;
  return typeof id === 'string' && id.length <= 128 ? id : undefined;
}
