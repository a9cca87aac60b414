/**
 * What a signaling session asks of access control, and what it is told: whether the
 * session may be established, whether (and as what) a publish may go on, and the
 * statuses that follow. The signaling session knows nothing of tokens or backends.
 */

/** A publish as the page asked for it (publishStream), and as it goes on once admitted. */
export interface PublishFields {
  mediaSessionId: string;
  name: string;
  rtmpUrl?: string;
  record: boolean;
  bitrate?: number;
  minBitrate?: number;
  maxBitrate?: number;
  hasAudio?: boolean;
  hasVideo?: boolean;
  /** publishStream.custom: the page's own object */
  custom?: Record<string, unknown>;
}

export type Admission = { ok: true } | { ok: false; info: string };

/** `publish` is the request to go on with: the page's, or as the backend overwrote it. */
export type PublishAdmission = { ok: true; publish: PublishFields } | { ok: false; info: string };

/** One signaling session's view of access control; ended by close(). */
export interface SessionAccess {
  /** The page's `connection` object; decides whether the session is established. */
  connect(connection: Readonly<Record<string, unknown>>): Promise<Admission>;
  /** Decides a publish before any peer connection exists. */
  publish(request: PublishFields): Promise<PublishAdmission>;
  /** A status the page was sent for a stream (PUBLISHING, UNPUBLISHED, FAILED). */
  streamStatus(mediaSessionId: string, status: string, info?: string): void;
  /** The page asked to stop a stream (unPublishStream). */
  unpublishRequested(mediaSessionId: string): void;
  /** The session ended; what is pending for it is aborted. Idempotent. */
  close(reason: string): void;
}

/** No token, no backend: every session and publish is admitted unchanged. */
export const OPEN_SESSION_ACCESS: SessionAccess = Object.freeze({
  connect: async (): Promise<Admission> => ({ ok: true }),
  publish: async (request: PublishFields): Promise<PublishAdmission> => ({ ok: true, publish: request }),
  streamStatus: () => undefined,
  unpublishRequested: () => undefined,
  close: () => undefined,
});
