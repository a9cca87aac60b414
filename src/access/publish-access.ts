/**
 * Who may publish, decided in one place for every session: the static publish token
 * when set, then the WCS REST hooks when a backend is configured for the session's
 * application key. Owns the hook client; its settings change live through update().
 */
import type { Logger } from '../log';
import { systemClock, type Clock } from '../util/clock';
import { checkPublishToken } from './publish-token';
import { RestHookClient, type RestHookOptions, type RestHookStats } from './rest-hooks/rest-hook-client';
import { DEFAULT_APP_KEY, SessionHooks, type StreamOrigins } from './rest-hooks/session-hooks';
import { watchTransponder, type WatchedTransponder } from './rest-hooks/transponder-status-events';
import type { Admission, PublishAdmission, PublishFields, SessionAccess } from './session-access';

export interface PublishAccessOptions {
  /** publish_token: pages must send it in createSession({custom: {token}}) */
  publishToken?: string;
  hooks: RestHookOptions;
  /** this node in hook bodies (WCS: "<id>@<address>") */
  nodeId: string;
}

export class PublishAccess {
  private opts: PublishAccessOptions;
  private readonly client: RestHookClient;
  /** live stream name → where it was published from (for TransponderStatusEvent) */
  private readonly origins = new Map<string, { appKey: string; sessionId: string }>();
  private readonly originBook: StreamOrigins = {
    streamPublished: (name, origin) => this.origins.set(name, origin),
    streamEnded: (name, sessionId) => {
      if (this.origins.get(name)?.sessionId === sessionId) this.origins.delete(name);
    },
  };
  private closed = false;

  constructor(opts: PublishAccessOptions, private readonly log: Logger, clock: Clock = systemClock) {
    this.opts = opts;
    this.client = new RestHookClient(opts.hooks, log, clock);
  }

  /** Settings reloaded: new token, URLs, signing, limits; sessions already established stay. */
  update(opts: PublishAccessOptions): void {
    this.opts = opts;
    this.client.update(opts.hooks);
  }

  /** true when publishers must prove something: a publish token or a REST hook backend decides. */
  get authenticatesPublishers(): boolean {
    return this.opts.publishToken !== undefined || this.opts.hooks.urls.size > 0;
  }

  get hookStats(): RestHookStats {
    return this.client.stats;
  }

  /**
   * `tokenChecked`: the caller has checked the publisher's token itself (WHIP's bearer,
   * which may be whip_token), so connect() asks only the hooks.
   */
  openSession(sessionId: string, opts: { tokenChecked?: boolean } = {}): SessionAccess {
    const hooks = new SessionHooks(this.client, { nodeId: this.opts.nodeId, sessionId }, this.originBook, this.log);
    const access = this;
    let closed = false;
    return {
      async connect(connection: Readonly<Record<string, unknown>>): Promise<Admission> {
        const token = opts.tokenChecked ? { ok: true as const } : checkPublishToken(access.opts.publishToken, connection);
        if (!token.ok) {
          access.log.warn('session refused: publish token missing or wrong', { session: sessionId });
          return token;
        }
        return hooks.connect(connection);
      },
      publish: (request: PublishFields): Promise<PublishAdmission> => hooks.publish(request),
      streamStatus: (mediaSessionId, status, info) => hooks.streamStatus(mediaSessionId, status, info),
      unpublishRequested: (mediaSessionId) => hooks.unpublishRequested(mediaSessionId),
      close(reason: string): void {
        if (closed) return;
        closed = true;
        hooks.close(reason);
      },
    };
  }

  /** Sends TransponderStatusEvent for every state of this transponder, to its stream's backend. */
  watchTransponder(transponder: WatchedTransponder, relay: { streamName: string; rtmpUrl: string }): void {
    if (this.closed) return;
    const origin = this.origins.get(relay.streamName);
    watchTransponder(this.client, transponder, {
      nodeId: this.opts.nodeId,
      appKey: origin?.appKey ?? DEFAULT_APP_KEY,
      sessionId: origin?.sessionId,
      streamName: relay.streamName,
      rtmpUrl: relay.rtmpUrl,
    });
  }

  /** Aborts every hook request and retry; events still waiting are dropped (counted). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.client.close();
  }
}
