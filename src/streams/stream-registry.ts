import type { Logger } from '../log';
import type { PublisherStats } from '../webrtc/publisher';
import { inProcessPublisherHost, type PublisherHandle as Publisher, type PublisherHost } from '../webrtc/publisher-host';
import type { BitrateWish } from '../webrtc/publisher-options';
import { TypedEmitter } from '../util/typed-emitter';
import { StreamEventState, type StreamEvent, type StreamEventSnapshot } from './stream-event-state';
import type { NameClaims } from './name-claims';

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
  /** Its mute states and stream events (sendStreamEvent). */
  readonly events: StreamEventState;
}

export type StreamRegistryEvents = {
  publish: [Publisher, PublishInfo];
  unpublish: [Publisher, string];
  /** a publisher's sendStreamEvent (mute, unmute, data), after its state changed */
  streamEvent: [Publisher, StreamEvent];
};

/** A published stream as /debug/streams shows it: the publisher's figures and its stream events. */
export type PublishedStreamStats = PublisherStats & StreamEventSnapshot;

/**
 * Stream name → live Publisher. A name is reserved while its peer connection is being
 * set up, so two publishes of one name cannot both succeed; the publisher is added once
 * its media flows and leaves by itself when it closes.
 */
export class StreamRegistry extends TypedEmitter<StreamRegistryEvents> {
  private readonly publishers = new Map<string, PublishedEntry>();
  private readonly reserved = new Set<string>();

  /**
   * @param nameClaims the cluster-wide claim every publish also needs (src/cluster/);
   *   absent standalone, where the reservation below is the only decision
   * @param publisherHost where publishes of these names run their media (media_workers):
   *   in-process unless given
   */
  constructor(log?: Logger, readonly nameClaims?: NameClaims, readonly publisherHost: PublisherHost = inProcessPublisherHost) {
    super((event, error) => log?.error('stream registry listener threw', { event, error: String(error) }));
  }

  get(name: string): Publisher | undefined {
    return this.publishers.get(name)?.publisher;
  }

  info(name: string): PublishInfo | undefined {
    return this.publishers.get(name)?.info;
  }

  /** The stream's mute state and its event feed (subscribe to 'event'); undefined when not published. */
  events(name: string): StreamEventState | undefined {
    return this.publishers.get(name)?.events;
  }

  list(): Publisher[] {
    return [...this.publishers.values()].map((e) => e.publisher);
  }

  /** Every published stream with what its publish said, in the order they started. */
  entries(): PublishedEntry[] {
    return [...this.publishers.values()];
  }

  /** Every published stream's figures with its mute state, for /debug/streams. */
  describe(): PublishedStreamStats[] {
    return [...this.publishers.values()].map((e) => ({ ...e.publisher.toJSON(), ...e.events.toJSON() }));
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

  /**
   * Makes a publisher visible under its name (reserved by `reserve`); emits 'publish'.
   * `events` carries what the page said before PUBLISHING (a mute sent early); the
   * registry closes it when the publisher leaves.
   */
  add(publisher: Publisher, info: PublishInfo, events: StreamEventState = new StreamEventState()): void {
    const name = publisher.streamName;
    if (publisher.closed) throw new Error(`publisher ${name} is closed`);
    if (this.publishers.has(name)) throw new Error(`stream ${name} is already published`);
    this.reserved.delete(name);
    if (events.closed) throw new Error(`stream events of ${name} are closed`);
    this.publishers.set(name, { publisher, info, events, publishedAt: Date.now() });
    events.on('event', (event) => this.emit('streamEvent', publisher, event));
    publisher.once('close', (reason) => {
      events.close();
      if (this.publishers.get(name)?.publisher !== publisher) return;
      this.publishers.delete(name);
      this.emit('unpublish', publisher, reason);
    });
    this.emit('publish', publisher, info);
  }
}
