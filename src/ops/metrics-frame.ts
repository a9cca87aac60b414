/**
 * What one scrape reads: the transponders and publishers as they are at that moment,
 * taken once, so every family of a scrape shows the same instant and each destination
 * URL is parsed into labels once.
 */
import type { TransponderInfo, TransponderState, TransponderStats } from '../transponder/transponder-api';
import type { PublisherStats } from '../webrtc/publisher';
import { destinationLabels, type DestinationLabels } from './metrics-destination';

/** The labels of every per-transponder series. Never the stream key, the published name or credentials. */
export const PUSH_LABELS = ['media_session_id', 'stream', 'dest_host', 'dest_app'] as const;
export type PushLabel = (typeof PUSH_LABELS)[number];

export interface PushRow {
  labels: Record<PushLabel, string>;
  state: TransponderState;
  stats: TransponderStats;
}

export interface ScrapeFrame {
  pushes: PushRow[];
  publishers: PublisherStats[];
}

export function pushRow(info: TransponderInfo): PushRow {
  const destination: DestinationLabels = destinationLabels(info.rtmpUrl);
  return {
    // The source stream's name (what the page published), not the name at the RTMP
    // server: with a full URL that one is the stream key.
    labels: { media_session_id: info.mediaSessionId, stream: info.sourceStreamName ?? '', ...destination },
    state: info.status,
    stats: info.stats,
  };
}
