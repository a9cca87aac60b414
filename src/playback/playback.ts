import type { Logger } from '../log';
import type { PublisherHandle as Publisher } from '../webrtc/publisher-host';
import type { PlaybackLimits, PlaybackOptions, ViewerNetworkOptions } from './playback-options';
import { Viewer } from './viewer';

/** A play refused by a limit or because the service is closing; `message` is the page's info. */
export class PlaybackRefused extends Error {
  override readonly name = 'PlaybackRefused';
}

export function viewersPerStreamInfo(limit: number): string {
  return `Limit of ${limit} players per stream reached (play_max_viewers_per_stream)`;
}

export function viewersTotalInfo(limit: number): string {
  return `Server limit of ${limit} players reached (play_max_viewers)`;
}

/**
 * Every viewer of this node: creates them within the limits and owns them until they
 * close. A slot (per stream and in total) is taken before the first await and given back
 * when the setup fails or the viewer closes, so concurrent plays cannot pass a limit.
 */
export class Playback {
  private options: PlaybackOptions;
  private readonly viewers = new Set<Viewer>();
  /** slots held per stream name: viewers being set up and live ones */
  private readonly slots = new Map<string, number>();
  private slotsTotal = 0;
  private readonly drains = new Set<Promise<void>>();
  private closing = false;

  constructor(options: PlaybackOptions, private network: ViewerNetworkOptions, private readonly log: Logger) {
    this.options = { ...options };
  }

  /** New limits, live: they apply to the next play; playing viewers go on. */
  update(limits: Partial<PlaybackLimits>): void {
    this.options = { ...this.options, ...limits };
  }

  /** New network settings (a reload), for the next viewer. */
  updateNetwork(network: ViewerNetworkOptions): void {
    this.network = { ...network };
  }

  /** Viewers being set up or playing, across every stream. */
  get viewerCount(): number {
    return this.slotsTotal;
  }

  /** Viewers being set up or playing one stream. */
  viewersOf(streamName: string): number {
    return this.slots.get(streamName) ?? 0;
  }

  /** Live viewers (for the admin page and metrics). */
  list(): Viewer[] {
    return [...this.viewers];
  }

  /**
   * A viewer of `publisher` answering the player's offer. Rejects with PlaybackRefused
   * (a limit; nothing was created) or SdpError (the player cannot receive the stream).
   */
  async play(publisher: Publisher, offerSdp: string): Promise<Viewer> {
    const name = publisher.streamName;
    if (this.closing) throw new PlaybackRefused('The server is stopping');
    if (this.viewersOf(name) >= this.options.maxViewersPerStream) throw new PlaybackRefused(viewersPerStreamInfo(this.options.maxViewersPerStream));
    if (this.slotsTotal >= this.options.maxViewersTotal) throw new PlaybackRefused(viewersTotalInfo(this.options.maxViewersTotal));
    this.take(name);
    let viewer: Viewer;
    try {
      viewer = await Viewer.create({ publisher, offerSdp, network: this.network, options: this.options, log: this.log });
    } catch (error) {
      this.give(name);
      throw error;
    }
    if (this.closing) {
      this.give(name);
      this.track(viewer.close('the server is stopping'));
      throw new PlaybackRefused('The server is stopping');
    }
    this.viewers.add(viewer);
    viewer.once('close', () => {
      this.viewers.delete(viewer);
      this.give(name);
      this.track(viewer.drained);
    });
    return viewer;
  }

  /** Ends every viewer and resolves once their peer connections are released. Safe to call twice. */
  async close(reason: string): Promise<void> {
    this.closing = true;
    for (const viewer of [...this.viewers]) viewer.close(reason);
    await Promise.all([...this.drains]);
  }

  private take(name: string): void {
    this.slots.set(name, (this.slots.get(name) ?? 0) + 1);
    this.slotsTotal++;
  }

  private give(name: string): void {
    const n = (this.slots.get(name) ?? 1) - 1;
    if (n > 0) this.slots.set(name, n);
    else this.slots.delete(name);
    this.slotsTotal--;
  }

  private track(drain: Promise<void>): void {
    const settled: Promise<void> = drain.catch(() => undefined).then(() => { this.drains.delete(settled); });
    this.drains.add(settled);
  }
}
