/**
 * What the REST API may see and do of published streams (/rest-api/stream/*): a read-only
 * snapshot of each, and ending them. Plain data, so the routes can be tested with a fake.
 */
import type { PublisherStats } from '../webrtc/publisher';

/** One published stream at the moment it was read. */
export interface PublishedStreamInfo {
  mediaSessionId: string;
  name: string;
  /** The signaling session that publishes it. */
  sessionId: string;
  hasVideo: boolean;
  hasAudio: boolean;
  record: boolean;
  /** The rates the publish asked for (kbit/s), 0 when not given. */
  bitrate: number;
  minBitrate: number;
  maxBitrate: number;
  /** Epoch ms when it started publishing. */
  createDate: number;
  /** The publisher's figures, as /debug/streams shows them. */
  stats: PublisherStats;
}

export interface StreamApi {
  /** The published streams, in the order they started. */
  list(): PublishedStreamInfo[];
  /**
   * Ends the publishes of these media sessions: each publisher closes at once (its page
   * is told, its transponders end). Returns how many were still published and ended.
   */
  terminate(mediaSessionIds: readonly string[]): number;
}
