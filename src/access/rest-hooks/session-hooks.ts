/**
 * The REST hooks of one signaling session, as WCS calls them:
 *  - `connect` with the page's connection object: anything but 200 with a JSON object
 *    declines the session (the reason: the backend's {status, reason}, else the HTTP
 *    reason phrase); its answer's restClientConfig rules the session's later calls;
 *  - `publishStream` before any peer connection: restOnError FAIL declines on an error
 *    ("Restricted access" or the backend's reason), LOG (the default) goes on;
 *    OVERWRITE takes the fields named in restOverwrite from the answer; DISABLE skips it;
 *  - events: ConnectionStatusEvent (ESTABLISHED, DISCONNECTED), StreamStatusEvent on each
 *    status the page is sent, unPublishStream when the page stops a stream; in order per
 *    stream, restExclude and DISABLE honoured.
 * What we never send: the SDP, the session's authToken.
 */
import type { Logger } from '../../log';
import type { Admission, PublishAdmission, PublishFields } from '../session-access';
import { overwritePublish } from './publish-overwrite';
import { RestClientConfig } from './rest-client-config';
import type { RestHookClient } from './rest-hook-client';

export const DEFAULT_APP_KEY = 'defaultApp';
/** What a page sees when the backend refuses a publish without a reason of its own (WCS's text). */
export const RESTRICTED_ACCESS = 'Restricted access';

export interface SessionIdentity {
  nodeId: string;
  sessionId: string;
}

/** Where streams of a session are published from, for TransponderStatusEvent. */
export interface StreamOrigins {
  streamPublished(streamName: string, origin: { appKey: string; sessionId: string }): void;
  streamEnded(streamName: string, sessionId: string): void;
}

const TERMINAL_STATUSES = new Set(['FAILED', 'UNPUBLISHED']);

export class SessionHooks {
  private appKey = DEFAULT_APP_KEY;
  private config = RestClientConfig.DEFAULT;
  private established = false;
  private closed = false;
  /** aborts this session's direct calls at close */
  private readonly abort = new AbortController();
  /** each publish that reached the hooks, as it goes on, until its last status */
  private readonly streams = new Map<string, PublishFields>();

  constructor(
    private readonly client: RestHookClient,
    private readonly id: SessionIdentity,
    private readonly origins: StreamOrigins,
    private readonly log: Logger,
  ) {}

  private get enabled(): boolean {
    return this.client.urlFor(this.appKey) !== undefined;
  }

  async connect(connection: Readonly<Record<string, unknown>>): Promise<Admission> {
    if (typeof connection.appKey === 'string' && connection.appKey.length > 0) this.appKey = connection.appKey;
    if (!this.enabled) {
      this.established = true;
      return { ok: true };
    }
    const body: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(connection)) if (k !== 'authToken') body[k] = v;
    Object.assign(body, this.base());
    const result = await this.client.call(this.appKey, 'connect', body, this.abort.signal);
    if (this.closed) return { ok: false, info: 'session closed' };
    if (result.kind === 'declined') {
      this.log.info('session declined by the backend', { session: this.id.sessionId, appKey: this.appKey, status: result.status });
      return { ok: false, info: result.reason };
    }
    if (result.kind === 'failed') {
      this.log.warn('session declined: the backend gave no answer', { session: this.id.sessionId, appKey: this.appKey, error: result.error });
      return { ok: false, info: 'Failed by REST hook: the backend gave no answer' };
    }
    const parsed = RestClientConfig.parse(result.body.restClientConfig);
    if (parsed.problems.length > 0) this.log.warn('restClientConfig partly ignored', { session: this.id.sessionId, problems: parsed.problems });
    this.config = parsed.config;
    this.established = true;
    this.event('ConnectionStatusEvent', { ...this.base(), status: 'ESTABLISHED' }, this.id.sessionId);
    return { ok: true };
  }

  async publish(request: PublishFields): Promise<PublishAdmission> {
    const method = this.config.of('publishStream');
    if (!this.enabled || method.restPolicy === 'DISABLE') return this.admit(request);
    this.streams.set(request.mediaSessionId, request);
    const body = this.config.restrict('publishStream', this.streamBody(request, 'PENDING'));
    const result = await this.client.call(this.appKey, 'publishStream', body, this.abort.signal);
    if (this.closed) return { ok: false, info: 'session closed' };
    if (result.kind !== 'ok') {
      const why = result.kind === 'declined' ? { status: result.status } : { error: result.error };
      if (method.restOnError === 'FAIL') {
        this.log.info('publish declined by the backend', { session: this.id.sessionId, stream: request.name, ...why });
        return { ok: false, info: result.kind === 'declined' && result.custom ? result.reason : RESTRICTED_ACCESS };
      }
      this.log.warn('publishStream hook failed; going on (restOnError LOG)', { session: this.id.sessionId, stream: request.name, ...why });
      return this.admit(request);
    }
    if (method.restPolicy !== 'OVERWRITE') return this.admit(request);
    const { publish, changed, refused } = overwritePublish(request, result.body, method.restOverwrite);
    if (changed.length > 0) this.log.info('publish changed by the backend', { session: this.id.sessionId, stream: request.name, fields: changed });
    if (refused.length > 0) this.log.warn('backend fields not overwritten', { session: this.id.sessionId, stream: request.name, fields: refused });
    return this.admit(publish);
  }

  streamStatus(mediaSessionId: string, status: string, info?: string): void {
    const fields = this.streams.get(mediaSessionId);
    if (!fields) return;
    if (status === 'PUBLISHING') this.origins.streamPublished(fields.name, { appKey: this.appKey, sessionId: this.id.sessionId });
    if (TERMINAL_STATUSES.has(status)) {
      this.streams.delete(mediaSessionId);
      this.origins.streamEnded(fields.name, this.id.sessionId);
    }
    this.event('StreamStatusEvent', { ...this.streamBody(fields, status), ...(info ? { info } : {}) }, mediaSessionId);
  }

  unpublishRequested(mediaSessionId: string): void {
    const fields = this.streams.get(mediaSessionId);
    if (fields) this.event('unPublishStream', this.streamBody(fields, 'UNPUBLISHED'), mediaSessionId);
  }

  close(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.abort.abort();
    for (const fields of this.streams.values()) this.origins.streamEnded(fields.name, this.id.sessionId);
    this.streams.clear();
    if (this.established && this.enabled) {
      this.event('ConnectionStatusEvent', { ...this.base(), status: 'DISCONNECTED', info: reason }, this.id.sessionId);
    }
  }

  private admit(publish: PublishFields): PublishAdmission {
    if (this.enabled) this.streams.set(publish.mediaSessionId, publish);
    return { ok: true, publish };
  }

  private base(): Record<string, unknown> {
    return { nodeId: this.id.nodeId, appKey: this.appKey, sessionId: this.id.sessionId };
  }

  /** The WCS stream object (publishStream, unPublishStream, StreamStatusEvent). */
  private streamBody(p: PublishFields, status: string): Record<string, unknown> {
    return {
      ...this.base(),
      mediaSessionId: p.mediaSessionId,
      name: p.name,
      published: true,
      hasVideo: p.hasVideo ?? true,
      hasAudio: p.hasAudio ?? true,
      status,
      rtmpUrl: p.rtmpUrl ?? null,
      custom: p.custom ?? {},
      record: p.record,
      bitrate: p.bitrate ?? 0,
      minBitrate: p.minBitrate ?? 0,
      maxBitrate: p.maxBitrate ?? 0,
      mediaProvider: 'WebRTC',
      mediaType: 'publish',
    };
  }

  private event(method: string, body: Record<string, unknown>, orderKey: string): void {
    if (this.config.of(method).restPolicy === 'DISABLE') return;
    this.client.notify(this.appKey, method, this.config.restrict(method, body), orderKey);
  }
}
