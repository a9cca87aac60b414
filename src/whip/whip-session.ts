/**
 * One WHIP session (RFC 9725): the resource a successful POST creates, at
 * `/whip/session/<id>` with an unguessable id, until DELETE, the publisher's end (ICE
 * timeout, the client gone, a REST terminate) or the server's stop. It owns its
 * StreamPublish (the same publish as a WebSDK page's) and its view of access control,
 * which hears the stream's states as a WebSocket session's would.
 */
import { randomBytes } from 'node:crypto';
import type { SessionAccess } from '../access/session-access';
import type { Logger } from '../log';
import { REST_TERMINATE_REASON } from '../streams/stream-termination';
import type { StreamPublish } from '../streams/stream-publish';
import { TypedEmitter } from '../util/typed-emitter';

export type WhipSessionEvents = { close: [string] };

/** The close reason of a DELETE from the client. */
export const DELETED_BY_CLIENT = 'deleted by the WHIP client';

export class WhipSession extends TypedEmitter<WhipSessionEvents> {
  /** 144 random bits: the session URL is the only capability a client needs to end a publish. */
  readonly id = randomBytes(18).toString('base64url');
  readonly etag = `"${randomBytes(9).toString('base64url')}"`;
  private closedValue = false;
  private publishing = false;
  private readonly openedAt = performance.now();

  constructor(readonly name: string, private readonly publish: StreamPublish, private readonly access: SessionAccess, private readonly log: Logger) {
    super((event, error) => log.error('whip session listener threw', { stream: name, event, error: String(error) }));
    publish.on('publishing', () => {
      this.publishing = true;
      access.streamStatus(this.mediaSessionId, 'PUBLISHING');
      this.log.info('whip publishing', { stream: name });
    });
    publish.on('close', (reason) => this.close(reason));
  }

  get closed(): boolean {
    return this.closedValue;
  }

  /** The id hooks and /debug know this publish by (the WHIP session has one stream). */
  get mediaSessionId(): string {
    return this.publish.info.mediaSessionId;
  }

  /** Ends the publish and its relays at once (the name is free on return); resolves once the peer connection is released. */
  close(reason: string): Promise<void> {
    if (this.closedValue) return this.publish.close(reason);
    this.closedValue = true;
    const drain = this.publish.close(reason);
    const stopped = reason === DELETED_BY_CLIENT || reason === REST_TERMINATE_REASON;
    if (reason === DELETED_BY_CLIENT) this.access.unpublishRequested(this.mediaSessionId);
    this.access.streamStatus(this.mediaSessionId, stopped ? 'UNPUBLISHED' : 'FAILED', reason);
    this.access.close(reason);
    // The session's one end line.
    this.log.info('whip session ended', { stream: this.name, reason, published: this.publishing, durationMs: Math.round(performance.now() - this.openedAt) });
    this.emit('close', reason);
    this.removeAllListeners();
    return drain;
  }
}
