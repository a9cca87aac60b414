/**
 * WebRTC players of published streams (playStream): how many in all, and per stream,
 * labelled with the stream's name only (never a player's address or session).
 */
import type { Registry } from 'prom-client';
import { liveGauge } from './metrics-families';

/** What the metrics read of the players: Playback. */
export interface PlayerFigures {
  /** Players being set up or playing, across every stream. */
  readonly viewerCount: number;
  /** Live players (connecting or playing). */
  list(): ReadonlyArray<{ toJSON(): { streamName: string } }>;
}

export function registerPlayerSeries(registry: Registry, prefix: string, players: PlayerFigures): void {
  liveGauge(registry, {
    name: `${prefix}players`,
    help: 'WebRTC players (playStream) being set up or playing, across every stream (play_max_viewers)',
    labelNames: [],
    read: (emit) => emit({}, players.viewerCount),
  });
  liveGauge<'stream'>(registry, {
    name: `${prefix}stream_players`,
    help: 'WebRTC players connecting to or playing each stream (play_max_viewers_per_stream)',
    labelNames: ['stream'],
    read: (emit) => {
      const perStream = new Map<string, number>();
      for (const player of players.list()) {
        const { streamName } = player.toJSON();
        perStream.set(streamName, (perStream.get(streamName) ?? 0) + 1);
      }
      for (const [stream, n] of perStream) emit({ stream }, n);
    },
  });
}
