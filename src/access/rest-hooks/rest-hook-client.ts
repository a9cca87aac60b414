/**
 * Talks to the backends of WCS REST hooks: POST <url>/<method> with a JSON body, one URL
 * per application key (`rest_hook_url.<appKey>`, else `rest_hook_url`), signed when
 * configured. Two kinds of calls:
 *  - direct (connect, publishStream): one try within the timeout, the answer decides;
 *  - events (StreamStatusEvent, ConnectionStatusEvent, unPublishStream,
 *    TransponderStatusEvent): queued in order per key, tried again when not taken,
 *    dropped with a counted log line after the last try.
 * At most `maxInFlight` requests are open at once. Nothing here blocks: callers await
 * only their own direct call. URLs are never logged (they may carry credentials).
 */
import type { Logger } from '../../log';
import { systemClock, type Clock } from '../../util/clock';
import { hookAuthorization, type HookSigning } from './hook-signature';
import { HookTransport, type HookHttpResult } from './hook-transport';
import { InFlightLimit, type HookPriority } from './in-flight-limit';
import { OrderedEventQueue, type DeliveryOutcome, type EventQueueStats } from './ordered-event-queue';

/** The key of `rest_hook_url` itself: the URL for application keys without their own. */
export const EVERY_APP_KEY = '*';

export interface RestHookOptions {
  /** application key → backend base URL; EVERY_APP_KEY for the others; empty: no hooks */
  urls: ReadonlyMap<string, string>;
  signing?: HookSigning;
  timeoutMs: number;
  maxInFlight: number;
  /** tries of each event */
  eventAttempts: number;
}

/** How a direct call ended. */
export type HookResult =
  | { kind: 'ok'; body: Readonly<Record<string, unknown>> }
  /** the backend answered, not 200: `reason` is its own text ({status, reason}) or the reason phrase */
  | { kind: 'declined'; status: number; reason: string; custom: boolean }
  /** no usable answer: unreachable, timed out, or a 200 without a JSON object */
  | { kind: 'failed'; error: string };

interface QueuedEvent {
  appKey: string;
  method: string;
  body: Buffer;
}

export interface RestHookStats extends EventQueueStats {
  inFlight: number;
  waiting: number;
}

const FIRST_RETRY_PAUSE_MS = 500;
const MAX_QUEUED_EVENTS = 10_000;

/** WCS: a 4xx answer `{status, reason}` with exactly these two fields gives the client the reason. */
function customReason(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return undefined;
  const keys = Object.keys(body);
  const o = body as Record<string, unknown>;
  if (keys.length !== 2 || typeof o.status !== 'number' || typeof o.reason !== 'string' || o.reason.length === 0) return undefined;
  return o.reason.slice(0, 256);
}

export class RestHookClient {
  private opts: RestHookOptions;
  private readonly transport = new HookTransport();
  private readonly limit: InFlightLimit;
  private readonly events: OrderedEventQueue<QueuedEvent>;
  /** aborts every direct call at close */
  private readonly closing = new AbortController();
  private closed = false;

  constructor(opts: RestHookOptions, private readonly log: Logger, private readonly clock: Clock = systemClock) {
    this.opts = opts;
    this.limit = new InFlightLimit(opts.maxInFlight);
    this.events = new OrderedEventQueue<QueuedEvent>({
      attempts: opts.eventAttempts,
      firstPauseMs: FIRST_RETRY_PAUSE_MS,
      maxQueued: MAX_QUEUED_EVENTS,
      clock,
      deliver: (event, signal) => this.deliver(event, signal),
      onDrop: (event, why, dropped) => this.log.warn('hook event dropped', { method: event.method, appKey: event.appKey, why, dropped }),
    });
  }

  /** New URLs, signing, limits (settings reloaded); calls already made keep their own. */
  update(opts: RestHookOptions): void {
    this.opts = opts;
    this.limit.setMax(opts.maxInFlight);
    this.events.setAttempts(opts.eventAttempts);
  }

  get stats(): RestHookStats {
    return { ...this.events.stats, inFlight: this.limit.inFlight, waiting: this.limit.waiting };
  }

  /** The backend of an application key, if hooks are on for it. */
  urlFor(appKey: string): string | undefined {
    return this.opts.urls.get(appKey) ?? this.opts.urls.get(EVERY_APP_KEY);
  }

  /** A direct call: one try, within the timeout, aborted by `signal` or close(). */
  async call(appKey: string, method: string, body: Readonly<Record<string, unknown>>, signal?: AbortSignal): Promise<HookResult> {
    const base = this.urlFor(appKey);
    if (base === undefined) return { kind: 'failed', error: `no hook URL for application key ${appKey}` };
    const result = await this.post(base, method, Buffer.from(JSON.stringify(body), 'utf8'), 'direct', signal);
    if (result.kind === 'unreachable') return { kind: 'failed', error: result.error };
    if (result.status !== 200) {
      const custom = customReason(result.body);
      return { kind: 'declined', status: result.status, reason: custom ?? (result.statusText || `HTTP ${result.status}`), custom: custom !== undefined };
    }
    if (typeof result.body !== 'object' || result.body === null || Array.isArray(result.body)) {
      return { kind: 'failed', error: `answered 200 without a JSON object (${result.bodyProblem ?? 'not an object'})` };
    }
    return { kind: 'ok', body: result.body as Record<string, unknown> };
  }

  /** An event: delivered in order with the others of `orderKey`, in the background. */
  notify(appKey: string, method: string, body: Readonly<Record<string, unknown>>, orderKey: string): void {
    if (this.urlFor(appKey) === undefined) return;
    this.events.push(orderKey, { appKey, method, body: Buffer.from(JSON.stringify(body), 'utf8') });
  }

  /** Aborts every request, drops (counting) every waiting event, ends every socket. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.closing.abort();
    this.events.close();
    this.limit.close();
    this.transport.close();
  }

  private async deliver(event: QueuedEvent, signal: AbortSignal): Promise<DeliveryOutcome> {
    const base = this.urlFor(event.appKey);
    if (base === undefined) return 'taken'; // hooks turned off for it since: nobody to tell
    const result = await this.post(base, event.method, event.body, 'event', signal);
    if (result.kind === 'unreachable') {
      this.log.debug('hook event not delivered', { method: event.method, appKey: event.appKey, error: result.error });
      return 'retry';
    }
    if (result.status >= 500 || result.status === 429) return 'retry';
    if (result.status !== 200) this.log.warn('hook event refused by the backend', { method: event.method, appKey: event.appKey, status: result.status });
    return 'taken';
  }

  /** One request within the timeout, once a slot is free (the wait counts toward the timeout). */
  private async post(base: string, method: string, body: Buffer, priority: HookPriority, signal?: AbortSignal): Promise<HookHttpResult> {
    if (this.closed) return { kind: 'unreachable', error: 'hook client closed' };
    const abort = new AbortController();
    let timedOut = false;
    const timer = this.clock.setTimeout(() => {
      timedOut = true;
      abort.abort();
    }, this.opts.timeoutMs);
    const onAbort = (): void => abort.abort();
    this.closing.signal.addEventListener('abort', onAbort, { once: true });
    signal?.addEventListener('abort', onAbort, { once: true });
    if (signal?.aborted) abort.abort();
    let release: (() => void) | undefined;
    try {
      release = await this.limit.acquire(priority, abort.signal);
      const headers: Record<string, string> = {};
      if (this.opts.signing) headers.authorization = hookAuthorization(body, this.opts.signing);
      const url = new URL(`${base.replace(/\/+$/, '')}/${method}`);
      const result = await this.transport.post(url, body, headers, abort.signal);
      if (result.kind === 'unreachable' && timedOut) return { kind: 'unreachable', error: `no answer within ${this.opts.timeoutMs} ms` };
      return result;
    } catch (error) {
      return { kind: 'unreachable', error: timedOut ? `no answer within ${this.opts.timeoutMs} ms` : (error as Error).message };
    } finally {
      release?.();
      this.clock.clearTimeout(timer);
      this.closing.signal.removeEventListener('abort', onAbort);
      signal?.removeEventListener('abort', onAbort);
    }
  }
}
