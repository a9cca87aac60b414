/**
 * One transponder's audio: the stream's shared AAC track while its audio is untouched, a
 * private one (own mixer and encoder) while it is muted or plays a sound.
 *
 *   stable on shared S ──mute / sound_on──▶ switching S→P ──▶ stable on private P
 *   stable on P ──unmute / sound_off / sound ended──▶ switching P→S ──▶ stable on S
 *
 * The sole user of a shared track takes it as its private one (and gives it back as the
 * shared one) without any switch. A switch is seamless on the wire: the old track's
 * frames go on out while the new one starts; the new one takes over at the first of its
 * frames that follows the last frame out (tracks of a stream share a frame grid, see
 * AudioTrack.alignWith, so that is the next frame exactly). Leaving a private track
 * waits until its frames that carry the change (the muted part, the sound) are out.
 * Timestamps never go backwards. If the new track lags, the old one's frames stop and
 * output pauses until the new one catches up (no hole); if the old one stalls, the new
 * one takes over after MAX_PENDING frames.
 *
 * Frames are forwarded only after open() (the transponder has sent its sequence header).
 */
import { AudioMixer } from '../media/audio-mixer';
import { TypedEmitter } from '../util/typed-emitter';
import type { AacOut, AudioTrack, AudioTrackEvents, AudioTrackStats } from './audio-track';
import type { StreamAudio } from './shared-audio';
import type { TrackLiveness } from './track-liveness';

const FRAME_MS = 1024 / 48;
/** Float noise between two tracks' timestamps on the same grid. */
const EPS_MS = 0.5;
/** The new track's frames held while the old one is behind; beyond this the old one has stalled. */
const MAX_PENDING = 10;

interface Listeners {
  aac: (frame: AacOut) => void;
  close: (reason: string) => void;
}

export class TransponderAudio extends TypedEmitter<AudioTrackEvents> implements TrackLiveness {
  private current: AudioTrack;
  /** The track being switched to. */
  private next: AudioTrack | undefined;
  /** The new track's frames ahead of the last one out, waiting for the old track to reach them. */
  private pending: AacOut[] = [];
  /** The new track lags the old: the old one's frames stop so that it catches up. */
  private takingOver = false;
  /** Pts of the last frame out. */
  private last = Number.NEGATIVE_INFINITY;
  private opened = false;
  private closeEmitted = false;
  private closing: Promise<void> | undefined;
  private readonly held = new Map<AudioTrack, Listeners>();
  /** Releases of tracks left behind by switches; close() waits for them. */
  private readonly releases = new Set<Promise<void>>();

  constructor(
    private readonly stream: StreamAudio,
    private readonly bitrate: number | undefined,
  ) {
    super();
    this.current = stream.acquireShared(bitrate);
    this.listen(this.current);
  }

  get closed(): boolean {
    return this.closing !== undefined;
  }

  /** The same for every track (AAC-LC 48 kHz stereo): the AAC sequence header. */
  get audioSpecificConfig(): Buffer {
    return this.current.audioSpecificConfig;
  }

  get bitrateKbps(): number {
    return this.current.bitrateKbps;
  }

  /** The ffmpeg pid of the encoder whose frames go out now (tests). */
  get encoderPid(): number | undefined {
    return this.current.encoderPid;
  }

  /** True while the frames going out come from the stream's shared track (tests, stats). */
  get shared(): boolean {
    return this.stream.isShared(this.current);
  }

  get muted(): boolean {
    return this.target().mixer.muted;
  }

  get soundEnabled(): boolean {
    return this.target().mixer.soundEnabled;
  }

  /** From now on frames go out (the sequence header has been sent). */
  open(): void {
    this.opened = true;
  }

  willReach(ts: number): boolean {
    if (this.closing !== undefined) return false;
    return this.current.willReach(ts) || (this.next?.willReach(ts) ?? false);
  }

  /** For a stream without audio: silence from `pts` (a no-op on a track already started). */
  start(pts: number): void {
    if (this.closing !== undefined) return;
    this.current.start(pts);
    this.next?.start(pts);
  }

  mute(): void {
    this.edit((m) => m.mute());
  }

  unmute(): void {
    this.edit((m) => m.unmute());
  }

  soundOn(pcm: Int16Array, loop: boolean): void {
    this.edit((m) => m.soundOn(pcm, loop));
  }

  soundOff(): void {
    this.edit((m) => m.soundOff());
  }

  toJSON(): AudioTrackStats {
    return { ...this.current.toJSON(), muted: this.muted, soundEnabled: this.soundEnabled };
  }

  /** Releases every track held (a shared one closes only with its last user). Idempotent. */
  close(reason: string): Promise<void> {
    if (this.closing) return this.closing;
    const held = [this.current, ...(this.next ? [this.next] : [])];
    this.next = undefined;
    this.pending = [];
    for (const track of held) this.unlisten(track);
    const released = held.map((track) => this.stream.release(track, reason));
    this.closing = Promise.allSettled([...released, ...this.releases]).then(() => this.emitClose(reason));
    return this.closing;
  }

  // ---- changes ---------------------------------------------------------------------

  /** The track whose mixer says what this transponder's audio is (or is becoming). */
  private target(): AudioTrack {
    return this.next ?? this.current;
  }

  private edit(change: (mixer: AudioMixer) => void): void {
    if (this.closing !== undefined) return;
    const next = this.next;
    if (next !== undefined) {
      if (this.stream.isShared(next)) {
        // Returning to the shared track: the change is to what is still on the wire.
        change(this.current.mixer);
        if (!this.current.untouched) this.cancelSwitch();
      } else {
        change(next.mixer);
        if (next.untouched) this.cancelSwitch();
      }
      return;
    }
    const current = this.current;
    if (!this.stream.isShared(current)) {
      change(current.mixer);
      this.returnIfUntouched();
      return;
    }
    // A change that leaves a clean mixer clean (unmute, sound_off) changes nothing.
    const trial = new AudioMixer();
    change(trial);
    if (!trial.muted && !trial.soundEnabled) return;
    if (this.stream.detach(current)) {
      change(current.mixer); // its only user: the shared track becomes ours
      return;
    }
    const own = this.stream.createPrivate(this.bitrate, current);
    change(own.mixer);
    this.beginSwitch(own);
  }

  /** A private track whose audio is untouched again goes back to (or becomes) the shared one. */
  private returnIfUntouched(): void {
    const current = this.current;
    if (this.next !== undefined || !current.untouched || this.stream.isShared(current)) return;
    const shared = this.stream.joinShared(this.bitrate);
    if (shared !== undefined) this.beginSwitch(shared);
    else this.stream.adopt(current);
  }

  // ---- switching -------------------------------------------------------------------

  private beginSwitch(next: AudioTrack): void {
    this.next = next;
    this.pending = [];
    this.takingOver = false;
    this.listen(next);
    // Nothing out yet: nothing to be seamless with.
    if (this.last === Number.NEGATIVE_INFINITY) this.completeSwitch();
  }

  private cancelSwitch(): void {
    const next = this.next;
    if (next === undefined) return;
    this.next = undefined;
    this.pending = [];
    this.takingOver = false;
    this.leave(next);
  }

  private completeSwitch(): void {
    const next = this.next;
    if (next === undefined) return;
    const old = this.current;
    const pending = this.pending;
    this.current = next;
    this.next = undefined;
    this.pending = [];
    this.takingOver = false;
    this.leave(old);
    for (const frame of pending) this.forward(frame);
  }

  /** The old track's frames that carry its change are out (always, for an untouched one). */
  private oldDone(): boolean {
    const clean = this.current.cleanFromPts;
    return clean !== undefined && this.last + FRAME_MS >= clean - EPS_MS;
  }

  private onFrame(track: AudioTrack, frame: AacOut): void {
    if (this.closing !== undefined) return;
    if (track === this.current) {
      if (this.next === undefined) {
        this.forward(frame);
        // A non-looping sound that ended leaves the mixer clean.
        if (this.current.untouched) this.returnIfUntouched();
      } else {
        this.onOldFrame(frame);
      }
    } else if (track === this.next) {
      this.onNewFrame(frame);
    }
  }

  private onOldFrame(frame: AacOut): void {
    if (this.takingOver) return;
    if (this.pending.length > 0 && this.oldDone() && frame.pts >= this.pending[0].pts - EPS_MS) {
      this.completeSwitch(); // the new track already has this time
      return;
    }
    this.forward(frame);
    this.tryComplete();
  }

  private onNewFrame(frame: AacOut): void {
    if (frame.pts < this.next!.usableFromPts - EPS_MS) return;
    if (frame.pts <= this.last + FRAME_MS / 2) {
      // Behind what is out: let it catch up rather than leave a hole.
      if (this.oldDone()) this.takingOver = true;
      return;
    }
    this.pending.push(frame);
    this.tryComplete();
    if (this.next !== undefined && this.pending.length > MAX_PENDING) this.completeSwitch();
  }

  /** Switches when the new track's first frame held follows the last one out. */
  private tryComplete(): void {
    // Frames the old track has passed meanwhile are of no use.
    while (this.pending.length > 0 && this.pending[0].pts <= this.last + FRAME_MS / 2) this.pending.shift();
    if (this.next === undefined || this.pending.length === 0 || !this.oldDone()) return;
    if (this.pending[0].pts <= this.last + FRAME_MS * 1.5) this.completeSwitch();
  }

  /** Out, unless it overlaps what is out (a frame of another track for the same time). */
  private forward(frame: AacOut): void {
    if (!this.opened || frame.pts <= this.last + FRAME_MS / 2) return;
    this.last = frame.pts;
    this.emit('aac', frame);
  }

  /** 'close' once: a track held died, or close() finished. */
  private emitClose(reason: string): void {
    if (this.closeEmitted) return;
    this.closeEmitted = true;
    this.emit('close', reason);
  }

  // ---- tracks held -----------------------------------------------------------------

  private listen(track: AudioTrack): void {
    const listeners: Listeners = {
      aac: (frame) => this.onFrame(track, frame),
      // The encoder died (or the source ended): every user of the track gets this.
      close: (reason) => this.emitClose(reason),
    };
    this.held.set(track, listeners);
    track.on('aac', listeners.aac);
    track.on('close', listeners.close);
  }

  private unlisten(track: AudioTrack): void {
    const listeners = this.held.get(track);
    if (listeners === undefined) return;
    this.held.delete(track);
    track.off('aac', listeners.aac);
    track.off('close', listeners.close);
  }

  /** Stops using a track (its release may close it; close() waits for that). */
  private leave(track: AudioTrack): void {
    this.unlisten(track);
    const release = this.stream.release(track, 'switched to another track');
    this.releases.add(release);
    void release.finally(() => this.releases.delete(release));
  }
}
