/** A StreamApi over a list the test fills: what the /stream/* routes see, and what they end. */
import type { PublishedStreamInfo, StreamApi } from '../../src/streams/stream-api';
import type { PublisherStats } from '../../src/webrtc/publisher';

export function publisherStats(name: string, over: { width?: number; height?: number } = {}): PublisherStats {
  const track = { packets: 0, bytes: 0, lost: 0, paddingPackets: 0, frames: 0, bitrateKbps: 0 };
  return {
    streamName: name,
    state: 'flowing',
    bitrateLimitKbps: { min: 300, start: 2500, max: 2500 },
    video: {
      ...track, packets: 900, bytes: 800_000, lost: 4, frames: 300, bitrateKbps: 1187,
      payloadType: 102, codec: 'h264', profileLevelId: '42e01f', keyframes: 22, nacksSent: 3, keyframeRequests: 5, plisSent: 5, firsSent: 0,
      unrecoveredLosses: 0, framesDroppedUntilKeyframe: 0, width: over.width, height: over.height, fps: 24,
    },
    audio: { ...track, packets: 500, bytes: 40_000, lost: 1, frames: 500, bitrateKbps: 129, payloadType: 111 },
  };
}

export function publishedStream(name: string, over: Partial<PublishedStreamInfo> = {}): PublishedStreamInfo {
  return {
    mediaSessionId: `msid-${name}`,
    name,
    sessionId: `session-${name}`,
    hasVideo: true,
    hasAudio: true,
    record: false,
    bitrate: 0,
    minBitrate: 0,
    maxBitrate: 0,
    createDate: 1_616_730_493_789,
    stats: publisherStats(name, { width: 640, height: 360 }),
    ...over,
  };
}

export class FakeStreamApi implements StreamApi {
  streams: PublishedStreamInfo[] = [];
  readonly terminated: string[][] = [];

  add(...streams: PublishedStreamInfo[]): this {
    this.streams.push(...streams);
    return this;
  }

  list(): PublishedStreamInfo[] {
    return this.streams.map((s) => structuredClone(s));
  }

  terminate(ids: readonly string[]): number {
    this.terminated.push([...ids]);
    const before = this.streams.length;
    this.streams = this.streams.filter((s) => !ids.includes(s.mediaSessionId));
    return before - this.streams.length;
  }
}
