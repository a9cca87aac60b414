/**
 * One transponder's audio: Opus frames in, AAC-LC frames with timestamps out.
 *
 *   AudioFrame ─▶ sample clock (conceal gaps, drop late, resync jumps) ─▶ OpusPcmDecoder
 *              ─▶ AudioMixer (mute, sound_on) ─▶ AacEncoder (ffmpeg) ─▶ 'aac' {pts, raw}
 *
 * The audio clock is the count of PCM samples handed to the encoder; timestamps are
 * derived from it, never from arrival. A lost packet becomes concealment (libopus PLC,
 * then silence), so the AAC track has no holes and no drift: output frame i always
 * covers 1024 samples. Only a jump of more than RESYNC_MS in the publisher's clock
 * (a pause, a clock reset) moves the sample ↔ pts mapping, instead of generating
 * seconds of filler.
 *
 * Timing of output frame i (see the priming test): the encoder's frame i holds input
 * samples from (i − 1)·1024 on, and decoded Opus lags what was captured by the
 * encoder's 312-sample look-ahead; both are taken out so a sound keeps the pts it had
 * at capture, and stays in sync with video.
 */
import { AACENCODER_PRIMING, AAC_FRAME_SAMPLES, AacEncoder } from '../ffmpeg/aac-encoder';
import { AudioMixer } from '../media/audio-mixer';
import { OpusPcmDecoder } from '../media/opus-decoder';
import { TypedEmitter } from '../util/typed-emitter';
import { RepeatingTimer, systemClock, type Clock } from '../util/clock';
import type { AudioFrame } from '../media';

const SAMPLES_PER_MS = 48;
/** libopus look-ahead at 48 kHz in the VOIP/AUDIO modes browsers use (2.5 ms + 4 ms). */
export const OPUS_LOOKAHEAD_SAMPLES = 312;
/** A gap or jump beyond this resyncs the clock instead of being filled. */
export const RESYNC_MS = 1000;
/** Gaps are concealed by libopus up to this long; the rest of a gap is silence. */
const MAX_PLC_MS = 200;
/**
 * Frames up to this much (in frame durations) early or late are taken as they come.
 * Half a frame: one lost 20 ms packet is a gap of a whole frame and must be filled,
 * or the clock would fall behind the publisher by 20 ms per loss.
 */
const TOLERANCE_FRAMES = 0.5;
const SILENCE_TICK_MS = 20;
const SILENCE_FRAME = 960;

export interface AudioTrackOptions {
  ffmpegPath?: string;
  bitrateKbps?: number;
  /** start(pts) makes a silent track in real time for a stream without audio. */
  silentIfNoAudio: boolean;
  /** Paces that silence; tests pass a fake. */
  clock?: Clock;
}

export interface AacOut {
  /** ms on the publisher's clock (fractional: frames are 21.333 ms apart) */
  pts: number;
  /** raw AAC frame, no ADTS header */
  raw: Buffer;
}

export type AudioTrackEvents = {
  aac: [frame: AacOut];
  /** Once: close() was called, or the encoder died (the reason says which). */
  close: [reason: string];
};

export interface AudioTrackStats {
  framesIn: number;
  framesDecoded: number;
  decodeErrors: number;
  /** Gaps filled with concealment or silence. */
  concealed: number;
  concealedMs: number;
  /** Frames that arrived for time already covered. */
  dropped: number;
  resyncs: number;
  /** Silence made by start() while the stream had no audio. */
  silenceMs: number;
  samplesEncoded: number;
  encoded: number;
  muted: boolean;
  soundEnabled: boolean;
}

/** Where the sample clock meets the pts clock: sample `sample` plays at `pts`. */
interface Anchor {
  sample: number;
  pts: number;
}

export class AudioTrack extends TypedEmitter<AudioTrackEvents> {
  readonly mixer = new AudioMixer();
  readonly audioSpecificConfig: Buffer;
  private readonly opts: AudioTrackOptions;
  private readonly decoder = new OpusPcmDecoder();
  private readonly encoder: AacEncoder;
  /** Increasing by sample; the first anchors the clock, later ones are resyncs. */
  private anchors: Anchor[] = [];
  /** PCM samples (per channel) written to the encoder: the audio clock. */
  private samples = 0;
  private lastPts = Number.NEGATIVE_INFINITY;
  private readonly clock: Clock;
  private readonly silenceTimer: RepeatingTimer;
  private silenceWallStart = 0;
  private silenceSampleStart = 0;
  private closeReason: string | undefined;
  private closing: Promise<void> | undefined;
  private readonly stats = {
    framesIn: 0,
    framesDecoded: 0,
    decodeErrors: 0,
    concealed: 0,
    concealedSamples: 0,
    dropped: 0,
    resyncs: 0,
    silenceSamples: 0,
    encoded: 0,
  };

  constructor(opts: AudioTrackOptions) {
    super();
    this.opts = opts;
    this.clock = opts.clock ?? systemClock;
    this.silenceTimer = new RepeatingTimer(this.clock, SILENCE_TICK_MS, () => this.fillSilence());
    this.encoder = new AacEncoder({ ffmpegPath: opts.ffmpegPath, bitrateKbps: opts.bitrateKbps });
    this.audioSpecificConfig = this.encoder.audioSpecificConfig;
    this.encoder.on('frame', (raw, index) => this.onAacFrame(raw, index));
    this.encoder.on('close', (reason) => void this.close(`AAC encoder ended: ${reason}`));
  }

  get closed(): boolean {
    return this.closeReason !== undefined;
  }

  /** The encoder's ffmpeg pid (tests check nothing outlives close()). */
  get encoderPid(): number | undefined {
    return this.encoder.pid;
  }

  /** One Opus packet from the publisher. Never throws. */
  push(frame: AudioFrame): void {
    if (this.closeReason !== undefined) return;
    this.stats.framesIn++;
    // Real audio takes over from generated silence; the clock carries on.
    this.silenceTimer.stop();
    // The packet's first decoded sample plays one look-ahead before its pts.
    const pts = frame.pts - OPUS_LOOKAHEAD_SAMPLES / SAMPLES_PER_MS;
    if (this.anchors.length === 0) {
      this.anchors.push({ sample: this.samples, pts });
    } else {
      const delta = pts - this.expectedPts();
      const frameMs = this.decoder.frameSamples / SAMPLES_PER_MS;
      if (Math.abs(delta) > RESYNC_MS) {
        this.stats.resyncs++;
        this.anchors.push({ sample: this.samples, pts });
      } else if (delta < -TOLERANCE_FRAMES * frameMs) {
        this.stats.dropped++; // its time was already filled (late, duplicate, reordered)
        return;
      } else if (delta > TOLERANCE_FRAMES * frameMs) {
        this.fillGap(Math.round(delta * SAMPLES_PER_MS));
      }
    }
    let pcm: Int16Array;
    try {
      pcm = this.decoder.decode(frame.opus);
      this.stats.framesDecoded++;
    } catch {
      this.stats.decodeErrors++;
      pcm = this.decoder.conceal(this.decoder.frameSamples);
    }
    this.write(pcm);
  }

  /**
   * For a stream without audio: from `startPts` on, silence (through the mixer, so
   * sound_on still plays) in real time, so there is always an AAC track. Does nothing
   * unless silentIfNoAudio, or once audio has started.
   */
  start(startPts: number): void {
    if (!this.opts.silentIfNoAudio || this.closeReason !== undefined || this.anchors.length > 0) return;
    this.anchors.push({ sample: this.samples, pts: startPts });
    this.silenceWallStart = this.clock.now();
    this.silenceSampleStart = this.samples;
    this.silenceTimer.start();
  }

  /** Stops everything; frames still inside ffmpeg are discarded. Idempotent. */
  close(reason: string): Promise<void> {
    if (this.closing) return this.closing;
    this.closeReason = reason;
    this.silenceTimer.stop();
    this.decoder.close();
    this.closing = this.encoder.close(reason).then(() => {
      this.emit('close', reason);
    });
    return this.closing;
  }

  toJSON(): AudioTrackStats {
    const s = this.stats;
    return {
      framesIn: s.framesIn,
      framesDecoded: s.framesDecoded,
      decodeErrors: s.decodeErrors,
      concealed: s.concealed,
      concealedMs: Math.round(s.concealedSamples / SAMPLES_PER_MS),
      dropped: s.dropped,
      resyncs: s.resyncs,
      silenceMs: Math.round(s.silenceSamples / SAMPLES_PER_MS),
      samplesEncoded: this.samples,
      encoded: s.encoded,
      muted: this.mixer.muted,
      soundEnabled: this.mixer.soundEnabled,
    };
  }

  private expectedPts(): number {
    return this.ptsOfSample(this.samples);
  }

  private ptsOfSample(sample: number): number {
    let anchor = this.anchors[0];
    for (let i = this.anchors.length - 1; i > 0; i--) {
      if (this.anchors[i].sample <= sample) {
        anchor = this.anchors[i];
        break;
      }
    }
    return anchor.pts + (sample - anchor.sample) / SAMPLES_PER_MS;
  }

  private fillGap(samples: number): void {
    this.stats.concealed++;
    this.stats.concealedSamples += samples;
    const plc = Math.min(samples, MAX_PLC_MS * SAMPLES_PER_MS);
    this.write(this.decoder.conceal(plc));
    if (samples > plc) this.write(new Int16Array((samples - plc) * 2));
  }

  private fillSilence(): void {
    if (this.closeReason !== undefined) return;
    const due = this.silenceSampleStart + Math.floor((this.clock.now() - this.silenceWallStart) * SAMPLES_PER_MS);
    while (this.samples + SILENCE_FRAME <= due) {
      this.stats.silenceSamples += SILENCE_FRAME;
      this.write(new Int16Array(SILENCE_FRAME * 2));
    }
  }

  private write(pcm: Int16Array): void {
    if (pcm.length === 0) return;
    this.encoder.write(this.mixer.mix(pcm));
    this.samples += pcm.length / 2;
  }

  private onAacFrame(raw: Buffer, index: number): void {
    if (this.closeReason !== undefined || this.anchors.length === 0) return;
    const first = index * AAC_FRAME_SAMPLES - AACENCODER_PRIMING;
    let pts = this.ptsOfSample(first);
    // A backward resync must not make time run backwards on the wire.
    if (pts <= this.lastPts) pts = this.lastPts + AAC_FRAME_SAMPLES / SAMPLES_PER_MS;
    this.lastPts = pts;
    // Anchors the output has passed are no longer needed.
    while (this.anchors.length > 1 && this.anchors[1].sample <= first) this.anchors.shift();
    this.stats.encoded++;
    this.emit('aac', { pts, raw });
  }
}
