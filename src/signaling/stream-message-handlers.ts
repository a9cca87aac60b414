/**
 * The session's answers to availableStream and sendStreamEvent, apart from the session so
 * it keeps to connecting and publishing. Each takes what it needs through a small context.
 */
import type { StreamEventState } from '../streams/stream-event-state';
import { encodeAvailableStream, parseAvailableStream, parseStreamEvent, STREAM_NOT_FOUND } from './stream-messages';
import { WCS_INFO } from './wcs-protocol';

export interface StreamMessageContext {
  established(): boolean;
  /** Whether `name` is published on this server (live in the registry, not just being set up). */
  isPublished(name: string): boolean;
  /** The event state of this session's stream `mediaSessionId`, being set up or live. */
  streamEvents(mediaSessionId: string): StreamEventState | undefined;
  /** Whether this session's stream `mediaSessionId` ended a short while ago. */
  endedLately(mediaSessionId: string): boolean;
  send(text: string): void;
  fail(apiMethod: string, info: string): void;
  debug(message: string, fields: Record<string, unknown>): void;
}

/**
 * availableStream: "true" when the name is published here, else "false" with WCS's info
 * (stream.available() rejects and the page shows stream.getInfo()). Always answered when
 * the request names its stream, so the page's promise settles.
 */
export function answerAvailableStream(data: unknown[], ctx: StreamMessageContext): void {
  const parsed = parseAvailableStream(data);
  if (!parsed.ok) {
    ctx.fail('availableStream', parsed.error);
    return;
  }
  const { mediaSessionId, name } = parsed.req;
  if (!ctx.established()) {
    ctx.send(encodeAvailableStream(mediaSessionId, false, WCS_INFO.SESSION_NOT_READY));
    return;
  }
  if (!name) {
    ctx.send(encodeAvailableStream(mediaSessionId, false, 'Stream name is missing or invalid'));
    return;
  }
  const available = ctx.isPublished(name);
  ctx.send(encodeAvailableStream(mediaSessionId, available, available ? '' : STREAM_NOT_FOUND));
}

/**
 * sendStreamEvent: the stream's mute state changes (and its players are told); nothing
 * is sent back, as WCS. An event for a stream of this session that has just ended is
 * dropped quietly: the WebSDK pages send an unmute while they tear down a stopped stream
 * (media_devices_manager resets its toggles on UNPUBLISHED).
 */
export function acceptStreamEvent(data: unknown[], ctx: StreamMessageContext): void {
  const parsed = parseStreamEvent(data);
  if (!parsed.ok) {
    ctx.fail('sendStreamEvent', parsed.error);
    return;
  }
  const { mediaSessionId, event } = parsed.req;
  if (!ctx.established()) {
    ctx.fail('sendStreamEvent', WCS_INFO.SESSION_NOT_READY);
    return;
  }
  const events = ctx.streamEvents(mediaSessionId);
  if (events && events.apply(event)) {
    ctx.debug('stream event', { mediaSessionId, type: event.type });
    return;
  }
  if (ctx.endedLately(mediaSessionId) || events) {
    ctx.debug('stream event for an ended stream dropped', { mediaSessionId, type: event.type });
    return;
  }
  ctx.fail('sendStreamEvent', `No stream ${mediaSessionId} is published in this session`);
}

/** The last `capacity` ids added, oldest forgotten first: a session's lately ended streams. */
export class RecentIds {
  private readonly ids = new Set<string>();

  constructor(private readonly capacity = 32) {}

  add(id: string): void {
    this.ids.delete(id);
    this.ids.add(id);
    if (this.ids.size > this.capacity) {
      const oldest = this.ids.values().next().value;
      if (oldest !== undefined) this.ids.delete(oldest);
    }
  }

  has(id: string): boolean {
    return this.ids.has(id);
  }
}
