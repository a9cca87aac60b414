/**
 * The WCS messages about a stream besides publishing it, as the WebSDK (flashphoner-core.js)
 * sends and reads them. Pure: parsing and building frames, no sockets.
 *
 * - availableStream: the page sends `{mediaSessionId, name}`; the answer is
 *   `{id, status, info}` where status is the STRING "true" or "false" (the SDK compares
 *   `available == "true"`): "true" resolves stream.available(), "false" rejects it with
 *   `info` as stream.getInfo().
 * - sendStreamEvent: the page sends `{mediaSessionId, type, payload}`; players of the stream
 *   are told `notifyStreamEvent` `{mediaSessionId, streamName, type, payload}`.
 * - inboundVideoRate / outboundVideoRate: `{mediaSessionId, videoRate}` in bit/s. The SDK
 *   compares videoRate with its own bytes sent (publisher, inboundVideoRate) or received
 *   (player, outboundVideoRate) between two consecutive messages, so they must come once a
 *   second; from the second one on it fires CONNECTION_QUALITY.UPDATE.
 */
import { isPublisherStreamEventType, type StreamEvent } from '../streams/stream-event-state';
import { encodeMessage } from './wcs-protocol';

/** WCS's info when a name is not published (the WebSDK's STREAM_STATUS_INFO.STREAM_NOT_FOUND). */
export const STREAM_NOT_FOUND = 'Stream not found';

/** The SDK computes quality from bytes counted between two messages: one message per second. */
export const VIDEO_RATE_INTERVAL_MS = 1000;

export interface AvailableStreamRequest {
  mediaSessionId: string;
  name?: string;
}

export type AvailableStreamParse = { ok: true; req: AvailableStreamRequest } | { ok: false; error: string };

function objectOf(data: unknown[]): Record<string, unknown> | undefined {
  const o = data[0];
  return typeof o === 'object' && o !== null && !Array.isArray(o) ? (o as Record<string, unknown>) : undefined;
}

function idOf(o: Record<string, unknown>): string | undefined {
  const id = o.mediaSessionId;
  return typeof id === 'string' && id.length > 0 && id.length <= 128 ? id : undefined;
}

/** availableStream's data[0]; without a mediaSessionId no answer can reach the stream. */
export function parseAvailableStream(data: unknown[]): AvailableStreamParse {
  const o = objectOf(data);
  if (!o) return { ok: false, error: 'availableStream needs an object in data[0]' };
  const mediaSessionId = idOf(o);
  if (!mediaSessionId) return { ok: false, error: 'MediaSessionId is null' };
  const name = typeof o.name === 'string' && o.name.length > 0 && o.name.length <= 256 ? o.name : undefined;
  return { ok: true, req: { mediaSessionId, name } };
}

export function encodeAvailableStream(mediaSessionId: string, available: boolean, info: string): string {
  return encodeMessage('availableStream', { id: mediaSessionId, status: available ? 'true' : 'false', info });
}

export interface StreamEventRequest {
  mediaSessionId: string;
  event: StreamEvent;
}

export type StreamEventParse = { ok: true; req: StreamEventRequest } | { ok: false; error: string };

/** sendStreamEvent's data[0]; an unknown type is named in the error. */
export function parseStreamEvent(data: unknown[]): StreamEventParse {
  const o = objectOf(data);
  if (!o) return { ok: false, error: 'sendStreamEvent needs an object in data[0]' };
  const mediaSessionId = idOf(o);
  if (!mediaSessionId) return { ok: false, error: 'MediaSessionId is null' };
  const type = o.type;
  if (!isPublisherStreamEventType(type)) {
    const shown = typeof type === 'string' ? `"${type.slice(0, 64)}"` : typeof type;
    return { ok: false, error: `Unknown stream event type ${shown}: audioMuted, audioUnmuted, videoMuted, videoUnmuted or data` };
  }
  const event: StreamEvent = o.payload === undefined ? { type } : { type, payload: o.payload };
  return { ok: true, req: { mediaSessionId, event } };
}

/** What a player of `streamName` is told, `mediaSessionId` being the player's own stream. */
export function encodeNotifyStreamEvent(mediaSessionId: string, streamName: string, event: StreamEvent): string {
  return encodeMessage('notifyStreamEvent', { mediaSessionId, streamName, type: event.type, payload: event.payload });
}

/** `inbound` for a publisher (what the server receives), `outbound` for a player (what it sends). */
export function encodeVideoRate(direction: 'inbound' | 'outbound', mediaSessionId: string, videoRate: number): string {
  return encodeMessage(direction === 'inbound' ? 'inboundVideoRate' : 'outboundVideoRate', { mediaSessionId, videoRate: Math.max(0, Math.round(videoRate)) });
}
