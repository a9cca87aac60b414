import type { Logger } from '../log';
import type { Publisher } from '../webrtc/publisher';
import type { BitrateWish } from '../webrtc/publisher-options';
import { TypedEmitter } from '../util/typed-emitter';

/** What the publish request said besides the media: where to relay, what rate was asked for. */
export interface PublishInfo {
  streamName: string;
  mediaSessionId: string;
  sessionId: string;
  /** publishStream.rtmpUrl, validated rtmp:// or rtmps://; may hold a stream key, never log it unmasked */
  rtmpUrl?: string;
  bitrate: BitrateWish;
  record: boolean;
}

/** One published stream as the registry holds it (read-only for its readers). */
export interface PublishedEntry {
  readonly publisher: Publisher;
  readonly info: PublishInfo;
  /** Epoch ms when it became visible (started publishing). */
  readonly publishedAt: number;
}

export type StreamRegistryEvents = {
  publish: [Publisher, PublishInfo];
  unpublish: [Publisher, string];
};

/**
 * Stream name → live Publisher. A name is reserved while its peer connection is being
 * set up, so two publishes of one name cannot both succeed; the publisher is added once
 * its media flows and leaves by itself when it closes.
 */
export class StreamRegistry extends TypedEmitter<StreamRegistryEvents> {
  private readonly publishers = new Map<string, PublishedEntry>();
  private readonly reserved = new Set<string>();

  constructor(log?: Logger) {
    super((event, error) => log?.error('stream registry listener threw', { event, error: String(error) }));
  }

  get(name: string): Publisher | undefined {
    return this.publishers.get(name)?.publisher;
  }

  info(name: string): PublishInfo | undefined {
    return this.publishers.get(name)?.info;
  }

  list(): Publisher[] {
    return [...this.publishers.values()].map((e) => e.publisher);
  }

  /** Every published stream with what its publish said, in the order they started. */
  entries(): PublishedEntry[] {
    return [...this.publishers.values()];
  }

  /** True when the name is neither published nor being set up. */
  isFree(name: string): boolean {
    return !this.publishers.has(name) && !this.reserved.has(name);
  }

  /** Holds a name while a publish is being set up; false when it is taken. */
  reserve(name: string): boolean {
    if (!this.isFree(name)) return false;
    this.reserved.add(name);
    return true;
  }

  release(name: string): void {
    this.reserved.delete(name);
  }

  /** Makes a publisher visible under its name (reserved by `reserve`); emits 'publish'. */
  add(publisher: Publisher, info: PublishInfo): void {
    const name = publisher.streamName;
    if (publisher.closed) throw new Error(`publisher ${name} is closed`);
    if (this.publishers.has(name)) throw new Error(`stream ${name} is already published`);
    this.reserved.delete(name);
    this.publishers.set(name, { publisher, info, publishedAt: Date.now() });
    publisher.once('close', (reason) => {
      if (this.publishers.get(name)?.publisher !== publisher) return;
      this.publishers.delete(name);
      this.emit('unpublish', publisher, reason);
    });
    this.emit('publish', publisher, info);
  }
}
