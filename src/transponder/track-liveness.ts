/**
 * What the Interleaver asks of a track before it holds the other track's tags for it.
 *
 * Contract of `willReach(ts)` (ts on the tag clock, ms):
 * - true: tags of this track up to `ts` are still coming, without anyone else's help:
 *   either the track's input for `ts` is already inside a running encoder (its output is
 *   certain, only late), or its source is running and the track fills a gap in it by
 *   itself (silence), so its timeline keeps advancing past `ts`. The Interleaver then
 *   holds the other track's tags at `ts` until this track passes `ts` (a generous stall
 *   cap only guards against a hung encoder).
 * - false: the track has stopped (closed, encoder dead, source gone and not filled) or
 *   has not started: it is left behind, and the other track goes out after a bounded
 *   wait. Its late tags, if any, are then re-timed by the Interleaver, never written
 *   behind what is already out.
 *
 * Cheap and synchronous: it is called on the per-tag path. Implemented by AudioTrack and
 * VideoLiveness; tests give fakes.
 */
import { systemClock, type Clock } from '../util/clock';
export interface TrackLiveness {
  willReach(ts: number): boolean;
}

/** The shared Clock (src/util/clock.ts), under the names this folder used first. */
export type LivenessClock = Clock;
export const realClock: Clock = systemClock;
