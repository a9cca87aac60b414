/**
 * The StreamApi over the registry: snapshots of its entries, and termination by closing
 * a publisher with REST_TERMINATE_REASON. Whoever owns the publisher (its signaling
 * session) hears the close and tells the page; transponders end with their source.
 */
import type { StreamApi, PublishedStreamInfo } from './stream-api';
import type { PublishedEntry, StreamRegistry } from './stream-registry';
import { REST_TERMINATE_REASON } from './stream-termination';

function describe(entry: PublishedEntry): PublishedStreamInfo {
  const { publisher, info } = entry;
  return {
    mediaSessionId: info.mediaSessionId,
    name: info.streamName,
    sessionId: info.sessionId,
    hasVideo: publisher.hasVideo(),
    hasAudio: publisher.hasAudio(),
    record: info.record,
    bitrate: info.bitrate.bitrate ?? 0,
    minBitrate: info.bitrate.minBitrate ?? 0,
    maxBitrate: info.bitrate.maxBitrate ?? 0,
    createDate: entry.publishedAt,
    stats: publisher.toJSON(),
  };
}

export class StreamCatalog implements StreamApi {
  constructor(private readonly registry: Pick<StreamRegistry, 'entries'>) {}

  list(): PublishedStreamInfo[] {
    return this.registry.entries().filter((e) => !e.publisher.closed).map(describe);
  }

  terminate(mediaSessionIds: readonly string[]): number {
    const wanted = new Set(mediaSessionIds);
    let ended = 0;
    for (const entry of this.registry.entries()) {
      if (!wanted.has(entry.info.mediaSessionId) || entry.publisher.closed) continue;
      // Closed at once; the drain (the peer connection's release) is its session's to await.
      void entry.publisher.close(REST_TERMINATE_REASON);
      ended++;
    }
    return ended;
  }
}
