/**
 * The AAC tracks of one published stream, for all its transponders.
 *
 * Transponders whose audio is the source's as is (not muted, no sound playing) and
 * that want the same bitrate share one AudioTrack: one Opus decode, one AAC encoder
 * (with the AAC host, both in the host: the shared track hands it the Opus packets). A
 * transponder that changes its audio gets a private track of its own, decoded here and
 * mixed (see TransponderAudio, which switches between them). Every track of the stream, shared or
 * private, is fed from one subscription to the source here.
 *
 * Reference counts: a shared track is closed when its last user releases it, a private
 * one when its owner does; all of them when the source ends. A track whose encoder dies
 * is dropped from the registry at once (its users each get its 'close' and fail).
 */
import type { AudioFrame } from '../media';
import { AudioTrack, type AudioTrackOptions } from './audio-track';

/** What the stream's audio needs of a published stream. */
export interface StreamAudioSource {
  on(event: 'audio', listener: (frame: AudioFrame) => void): unknown;
  on(event: 'close', listener: (reason: string) => void): unknown;
  off(event: 'audio', listener: (frame: AudioFrame) => void): unknown;
  off(event: 'close', listener: (reason: string) => void): unknown;
}

/** Options common to every track of a stream (the bitrate is per request). */
export type StreamAudioOptions = Omit<AudioTrackOptions, 'bitrateKbps'>;

export class StreamAudio {
  /** Every live track of the stream, with its number of users. */
  private readonly refs = new Map<AudioTrack, number>();
  /** The shared track per bitrate. */
  private readonly shared = new Map<string, AudioTrack>();
  private readonly keys = new Map<AudioTrack, string>();
  private subscribed = false;
  private readonly onAudio = (frame: AudioFrame): void => {
    for (const track of this.refs.keys()) track.push(frame);
  };
  private readonly onSourceClose = (reason: string): void => {
    for (const track of [...this.refs.keys()]) this.drop(track, `the published stream ended: ${reason}`);
  };

  constructor(
    private readonly source: StreamAudioSource,
    private readonly opts: StreamAudioOptions,
    /** Told when the stream has no track left (its registry forgets it). */
    private readonly onEmpty: () => void = () => undefined,
  ) {}

  /** Tracks alive (shared and private): what tests and metrics count. */
  get trackCount(): number {
    return this.refs.size;
  }

  /** The shared track for this bitrate, one user more; created if there is none. */
  acquireShared(bitrateKbps?: number): AudioTrack {
    const existing = this.joinShared(bitrateKbps);
    if (existing) return existing;
    // Shared tracks stay untouched (a change gets a track of its own): the host may decode their Opus.
    const track = this.create(bitrateKbps, undefined, true);
    this.shared.set(keyOf(bitrateKbps), track);
    return track;
  }

  /** The shared track for this bitrate with one user more, if there is one. */
  joinShared(bitrateKbps?: number): AudioTrack | undefined {
    const track = this.shared.get(keyOf(bitrateKbps));
    if (track === undefined || track.closed) return undefined;
    this.refs.set(track, (this.refs.get(track) ?? 0) + 1);
    return track;
  }

  /** A track for one user alone, on `follow`'s frame grid (see AudioTrack.alignWith). */
  createPrivate(bitrateKbps: number | undefined, follow: AudioTrack): AudioTrack {
    return this.create(bitrateKbps, follow, false);
  }

  isShared(track: AudioTrack): boolean {
    const key = this.keys.get(track);
    return key !== undefined && this.shared.get(key) === track;
  }

  /**
   * A shared track whose only user is the caller becomes the caller's private track, to
   * be mixed: never one whose encoder decodes its Opus (it has no mixer in the way).
   */
  detach(track: AudioTrack): boolean {
    if (!track.mixable || !this.isShared(track) || this.refs.get(track) !== 1) return false;
    this.shared.delete(this.keys.get(track)!);
    return true;
  }

  /** A private track whose audio is untouched becomes the shared one, when there is none. */
  adopt(track: AudioTrack): boolean {
    const key = this.keys.get(track);
    if (key === undefined || track.closed || !track.untouched || this.isShared(track)) return false;
    const current = this.shared.get(key);
    if (current !== undefined && !current.closed) return false;
    this.shared.set(key, track);
    return true;
  }

  /** One user fewer; the last one closes the track (resolves when its encoder is gone). */
  release(track: AudioTrack, reason: string): Promise<void> {
    const refs = this.refs.get(track);
    if (refs !== undefined && refs > 1) {
      this.refs.set(track, refs - 1);
      return Promise.resolve();
    }
    return this.drop(track, reason);
  }

  private create(bitrateKbps: number | undefined, follow: AudioTrack | undefined, opusToEncoder: boolean): AudioTrack {
    const track = new AudioTrack({ ...this.opts, bitrateKbps, opusToEncoder });
    // Every track of the stream on one frame grid, so a switch between two splices cleanly.
    const leader = follow ?? this.refs.keys().next().value;
    if (leader !== undefined) track.alignWith(leader);
    this.refs.set(track, 1);
    this.keys.set(track, keyOf(bitrateKbps));
    // The encoder died: nobody new may join it (its users get its 'close').
    track.on('close', () => void this.drop(track, 'closed'));
    if (!this.subscribed) {
      this.subscribed = true;
      this.source.on('audio', this.onAudio);
      this.source.on('close', this.onSourceClose);
    }
    return track;
  }

  private drop(track: AudioTrack, reason: string): Promise<void> {
    if (this.refs.delete(track)) {
      const key = this.keys.get(track)!;
      if (this.shared.get(key) === track) this.shared.delete(key);
      this.keys.delete(track);
      if (this.refs.size === 0 && this.subscribed) {
        this.subscribed = false;
        this.source.off('audio', this.onAudio);
        this.source.off('close', this.onSourceClose);
        this.onEmpty();
      }
    }
    return track.close(reason);
  }
}

function keyOf(bitrateKbps: number | undefined): string {
  return bitrateKbps === undefined ? 'default' : String(bitrateKbps);
}

/** The StreamAudio of each published stream; owned by the TransponderManager. */
export class SharedAudioRegistry {
  private readonly streams = new Map<StreamAudioSource, StreamAudio>();

  constructor(private readonly opts: () => StreamAudioOptions) {}

  /** The stream's audio, created with the options of the moment if it has none. */
  of(source: StreamAudioSource): StreamAudio {
    let stream = this.streams.get(source);
    if (stream === undefined) {
      const created = new StreamAudio(source, this.opts(), () => {
        if (this.streams.get(source) === created) this.streams.delete(source);
      });
      stream = created;
      this.streams.set(source, stream);
    }
    return stream;
  }

  /** Streams with a live track (tests check none is left behind). */
  get size(): number {
    return this.streams.size;
  }
}
