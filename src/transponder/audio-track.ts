/**
 * One AAC track: Opus frames in, AAC-LC frames with timestamps out. Shared by the transponders
 * of a stream whose audio is untouched, or private to one that mutes or plays a sound
 * (see shared-audio.ts and transponder-audio.ts).
 *
 *   AudioFrame ─▶ sample clock (conceal gaps, drop late, resync jumps) ─▶ OpusPcmDecoder
 *              ─▶ AudioMixer (mute, sound_on) ─▶ AacEncoder (host or ffmpeg) ─▶ 'aac' {pts, raw}
 *
 * With `opusToEncoder` and the AAC host, the packets skip the decoder and the mixer: the
 * host decodes them (libopus) to the sample counts their TOC gives, conceals gaps and
 * packets that do not parse, and encodes, all in one sample stream, so the clock and the
 * timing below are the same. Such a track is not `mixable`: a push that mutes or plays a
 * sound gets a track of its own (TransponderAudio). Should its mixer be changed anyway,
 * it decodes here from then on.
 *
 * The audio clock is the count of PCM samples handed to the encoder; timestamps are
 * derived from it, never from arrival. A lost packet becomes concealment (libopus PLC,
 * then silence), so the AAC track has no holes and no drift: output frame i always
 * covers 1024 samples. Only a jump of more than RESYNC_MS in the publisher's clock
 * (a pause, a clock reset) moves the sample ↔ pts mapping, instead of generating
 * seconds of filler.
 *
 * Timing of output frame i (see the priming test): the encoder's frame i holds input
 * samples from i·1024 − primingSamples on (ffmpeg's encoder 1024, VisualOn's 1600), and
 * decoded Opus lags what was captured by the Opus encoder's 312-sample look-ahead; both
 * are taken out so a sound keeps the pts it had at capture, and stays in sync with video.
 *
 * Liveness (TrackLiveness, for the Interleaver): the track will reach a time when the
 * PCM for it is already in the encoder, or when it keeps its own timeline going. With
 * `fillWhenSourceStops`, a source that sends nothing for SOURCE_GONE_MS is replaced by
 * silence in real time (the clock is the sample count, so the gap is filled from the
 * last packet on), until packets come again: the track never stops while it is open.
 *
 * Following another track (alignWith, for SharedAudio's switches): a track created while
 * another of the same source runs takes that one's clock at a frame boundary, so its AAC
 * frames fall on the same timestamps and one can be spliced after the other with no hole
 * and no overlap.
 */
import { AAC_FRAME_SAMPLES, decodesOpus, type AacEncoder, type OpusDecodingAacEncoder } from '../ffmpeg/aac-encoder';
import { createAacEncoder, type AacEncoderHost } from '../ffmpeg/aac-encoder-host';
import { AudioMixer } from '../media/audio-mixer';
import { OpusPcmDecoder, opusPacketSamples } from '../media/opus-decoder';
import { TypedEmitter } from '../util/typed-emitter';
import type { AudioFrame } from '../media';
import { realClock, type LivenessClock, type TrackLiveness } from './track-liveness';

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
/**
 * Nothing from the source for this long means it stopped (the browser sends a packet
 * every 20 ms, also in silence): silence takes over. Longer than network jitter and a
 * busy event loop, short enough that video is not held long for audio that is gone.
 */
export const SOURCE_GONE_MS = 300;
/** How often the source is checked for having stopped. */
const WATCH_MS = 50;
/**
 * Silence for a stopped source runs this far behind real time: a packet arrives a frame
 * (20 ms) plus network jitter after its pts, and when the source comes back its first
 * packet must find its time still open (a small gap is concealed), not already filled.
 */
const FILL_BEHIND_MS = 60;

export interface AudioTrackOptions {
  ffmpegPath?: string;
  /** The shared AAC encoder process; absent (or given up): an ffmpeg child for this track. */
  aacHost?: AacEncoderHost;
  /**
   * When the encoder is the host's, hand it the Opus packets to decode (libopus there)
   * instead of decoding here: for a track whose audio stays untouched (a shared track;
   * the mixer is bypassed, so one to be muted must be a track of its own).
   */
  opusToEncoder?: boolean;
  bitrateKbps?: number;
  /** start(pts) makes a silent track in real time for a stream without audio. */
  silentIfNoAudio: boolean;
  /** Source audio that stops mid-stream is continued with silence (see SOURCE_GONE_MS). */
  fillWhenSourceStops?: boolean;
  /** For tests; the source watch and generated silence run on it. */
  clock?: LivenessClock;
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
  /** Silence made by start() while the stream had no audio, or while its source had stopped. */
  silenceMs: number;
  /** Times the source stopped sending and silence took over. */
  sourceStops: number;
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

/** Silence made in real time: sample `sampleStart` is due at clock time `wallStart`. */
interface SilenceFiller {
  wallStart: number;
  sampleStart: number;
  timer: unknown;
}

export class AudioTrack extends TypedEmitter<AudioTrackEvents> implements TrackLiveness {
  readonly mixer = new AudioMixer();
  readonly audioSpecificConfig: Buffer;
  private readonly opts: AudioTrackOptions;
  /** Decodes here (created on first use): absent while the encoder decodes. */
  private jsDecoder: OpusPcmDecoder | undefined;
  private readonly encoder: AacEncoder;
  /** The encoder itself, when it takes the Opus packets (opusToEncoder with the host). */
  private readonly opusSink: OpusDecodingAacEncoder | undefined;
  /** Samples per channel of the last packet: the step the clock's tolerance is measured in. */
  private packetSamples = 960;
  /** Increasing by sample; the first anchors the clock, later ones are resyncs. */
  private anchors: Anchor[] = [];
  /** PCM samples (per channel) written to the encoder: the audio clock. */
  private samples = 0;
  private lastPts = Number.NEGATIVE_INFINITY;
  private readonly clock: LivenessClock;
  private filler: SilenceFiller | undefined;
  /** Clock time of the last source packet, and the watch that notices when they stop. */
  private lastInputAt = Number.NEGATIVE_INFINITY;
  private watchTimer: unknown;
  private watchArmedAt = 0;
  private closeReason: string | undefined;
  private closing: Promise<void> | undefined;
  /**
   * Frames before this pts are lead-in (the encoder's priming, the part of a frame before
   * an aligned track's first real sample): not to be spliced in after another track.
   */
  private usableFrom = Number.NEGATIVE_INFINITY;
  /** Pts from which everything written went through the mixer unchanged (undefined while it changes audio). */
  private cleanFrom: number | undefined;
  private readonly stats = {
    framesIn: 0,
    framesDecoded: 0,
    decodeErrors: 0,
    concealed: 0,
    concealedSamples: 0,
    dropped: 0,
    resyncs: 0,
    silenceSamples: 0,
    sourceStops: 0,
    encoded: 0,
  };

  constructor(opts: AudioTrackOptions) {
    super();
    this.opts = opts;
    this.clock = opts.clock ?? realClock;
    this.encoder = createAacEncoder({ host: opts.aacHost, ffmpegPath: opts.ffmpegPath, bitrateKbps: opts.bitrateKbps });
    this.audioSpecificConfig = this.encoder.audioSpecificConfig;
    this.opusSink = opts.opusToEncoder === true && decodesOpus(this.encoder) ? this.encoder : undefined;
    this.encoder.on('frame', (raw, index) => this.onAacFrame(raw, index));
    this.encoder.on('close', (reason) => void this.close(`AAC encoder ended: ${reason}`));
  }

  get closed(): boolean {
    return this.closeReason !== undefined;
  }

  /** The AAC encoder's bitrate (kbit/s): onMetaData's audiodatarate. */
  get bitrateKbps(): number {
    return this.encoder.bitrateKbps;
  }

  /** False when the encoder decodes the Opus (the mixer is bypassed): mute or sound need another track. */
  get mixable(): boolean {
    return this.opusSink === undefined;
  }

  /** True when the mixer changes nothing (not muted, no sound): the track may be shared. */
  get untouched(): boolean {
    return !this.mixer.muted && !this.mixer.soundEnabled;
  }

  /** See `usableFrom`: a switch to this track starts at a frame with at least this pts. */
  get usableFromPts(): number {
    return this.usableFrom;
  }

  /**
   * Pts from which the audio written is the source's as is (undefined while muted or a
   * sound plays): a switch away from this track waits until its frames reach it.
   */
  get cleanFromPts(): number | undefined {
    return this.cleanFrom;
  }

  /**
   * Takes `leader`'s clock, for a track created to take over from it: anchored at the
   * start of the leader's frame that is being filled now, with the part of it already
   * written by the leader as silence (so this track's later samples sit exactly where the
   * leader's do), and silence generated on the leader's schedule if it generates it.
   * Frames from the next whole one on are usable. Call right after construction; does
   * nothing once this track has started, or while the leader has not.
   */
  alignWith(leader: AudioTrack): void {
    if (this.closeReason !== undefined || this.anchors.length > 0 || this.samples > 0 || leader.anchors.length === 0) return;
    // Our sample 0 sits where our output frames fall on the leader's: at a frame boundary
    // of its input, moved by the difference of the two encoders' priming (ffmpeg's 1024,
    // VisualOn's 1600: a leader of one kind followed by the other if the host gave up).
    const shift = modulo(this.encoder.primingSamples - leader.encoder.primingSamples, AAC_FRAME_SAMPLES);
    const origin = leader.samples - modulo(leader.samples - shift, AAC_FRAME_SAMPLES);
    const lead = leader.samples - origin;
    const pts = leader.ptsOfSample(origin);
    // A resync inside that frame breaks the straight line between the two: start fresh at the leader's position.
    const straight = Math.abs(leader.expectedPts() - (pts + lead / SAMPLES_PER_MS)) < 1;
    this.anchors.push(straight ? { sample: 0, pts } : { sample: 0, pts: leader.expectedPts() });
    if (straight && lead > 0) this.write(new Int16Array(lead * 2));
    // The first of our output frames that starts after that silence.
    const priming = this.encoder.primingSamples;
    this.usableFrom = this.ptsOfSample(Math.ceil((this.samples + priming) / AAC_FRAME_SAMPLES) * AAC_FRAME_SAMPLES - priming);
    this.lastInputAt = leader.lastInputAt;
    if (leader.filler !== undefined) {
      // Sample `leader.samples` is due when the leader's filler says; ours is the same sample.
      const f = leader.filler;
      this.startSilence(f.wallStart + (leader.samples - f.sampleStart) / SAMPLES_PER_MS, this.samples);
    } else if (this.opts.fillWhenSourceStops === true && leader.lastInputAt > Number.NEGATIVE_INFINITY) {
      this.armWatch();
    }
  }

  /** The encoder's ffmpeg pid (tests check nothing outlives close()). */
  get encoderPid(): number | undefined {
    return this.encoder.pid;
  }

  /**
   * TrackLiveness: AAC up to `ts` is still coming. True when the encoder already has the
   * PCM for `ts` (its output is certain, only late), or while the track keeps its own
   * timeline going: silence is being generated, the source sent within SOURCE_GONE_MS,
   * or it fills a source that stops. False before the first packet (or start()), and
   * once closed or the encoder died.
   */
  willReach(ts: number): boolean {
    if (this.closeReason !== undefined || this.encoder.closed || this.anchors.length === 0) return false;
    if (this.expectedPts() >= ts) return true;
    if (this.filler !== undefined || this.opts.fillWhenSourceStops === true) return true;
    return this.clock.now() - this.lastInputAt <= SOURCE_GONE_MS;
  }

  /** One Opus packet from the publisher. Never throws. */
  push(frame: AudioFrame): void {
    if (this.closeReason !== undefined) return;
    this.stats.framesIn++;
    this.lastInputAt = this.clock.now();
    if (this.opts.fillWhenSourceStops === true && this.watchTimer === undefined) this.armWatch();
    // Real audio takes over from generated silence; the clock carries on.
    this.stopSilence();
    // The packet's first decoded sample plays one look-ahead before its pts.
    const pts = frame.pts - OPUS_LOOKAHEAD_SAMPLES / SAMPLES_PER_MS;
    if (this.anchors.length === 0) {
      this.anchors.push({ sample: this.samples, pts });
    } else {
      const delta = pts - this.expectedPts();
      const frameMs = this.packetSamples / SAMPLES_PER_MS;
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
    // A host that decodes takes the packet as it is, while nothing changes the audio
    // (a track whose mixer was changed anyway decodes here from then on: the mixer applies).
    const sink = this.decodingEncoder();
    if (sink !== undefined) {
      this.pushToEncoder(sink, frame.opus);
      return;
    }
    const decoder = this.decoder();
    let pcm: Int16Array;
    try {
      pcm = decoder.decode(frame.opus);
      this.stats.framesDecoded++;
    } catch {
      this.stats.decodeErrors++;
      pcm = decoder.conceal(decoder.frameSamples);
    }
    this.packetSamples = decoder.frameSamples;
    this.write(pcm);
  }

  /** The packet to the encoder, with the samples its TOC says; a malformed one is concealed. */
  private pushToEncoder(sink: OpusDecodingAacEncoder, packet: Buffer): void {
    let samples: number;
    try {
      samples = opusPacketSamples(packet);
      this.stats.framesDecoded++;
    } catch {
      this.stats.decodeErrors++;
      this.advance(this.packetSamples, () => sink.conceal(this.packetSamples));
      return;
    }
    this.packetSamples = samples;
    this.advance(samples, () => sink.writeOpus(packet, samples));
  }

  /** The encoder, while it takes the Opus itself: it decodes, and nothing changes the audio. */
  private decodingEncoder(): OpusDecodingAacEncoder | undefined {
    return this.untouched ? this.opusSink : undefined;
  }

  private decoder(): OpusPcmDecoder {
    this.jsDecoder ??= new OpusPcmDecoder();
    return this.jsDecoder;
  }

  /**
   * For a stream without audio: from `startPts` on, silence (through the mixer, so
   * sound_on still plays) in real time, so there is always an AAC track. Does nothing
   * unless silentIfNoAudio, or once audio has started.
   */
  start(startPts: number): void {
    if (!this.opts.silentIfNoAudio || this.closeReason !== undefined || this.anchors.length > 0) return;
    this.anchors.push({ sample: this.samples, pts: startPts });
    this.startSilence(this.clock.now(), this.samples);
  }

  /** Stops everything; frames still inside ffmpeg are discarded. Idempotent. */
  close(reason: string): Promise<void> {
    if (this.closing) return this.closing;
    this.closeReason = reason;
    this.stopSilence();
    if (this.watchTimer !== undefined) this.clock.clearTimeout(this.watchTimer);
    this.watchTimer = undefined;
    this.jsDecoder?.close();
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
      sourceStops: s.sourceStops,
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
    const sink = this.decodingEncoder();
    if (sink !== undefined) this.advance(plc, () => sink.conceal(plc));
    else this.write(this.decoder().conceal(plc));
    if (samples > plc) this.write(new Int16Array((samples - plc) * 2));
  }

  private startSilence(wallStart: number, sampleStart: number): void {
    this.filler = { wallStart, sampleStart, timer: undefined };
    this.fillSilence();
  }

  /** Writes the silence due by now, and comes back in SILENCE_TICK_MS. */
  private fillSilence(): void {
    const filler = this.filler;
    if (this.closeReason !== undefined || filler === undefined) return;
    const due = filler.sampleStart + Math.floor((this.clock.now() - filler.wallStart) * SAMPLES_PER_MS);
    while (this.samples + SILENCE_FRAME <= due) {
      this.stats.silenceSamples += SILENCE_FRAME;
      this.write(new Int16Array(SILENCE_FRAME * 2));
    }
    filler.timer = this.clock.setTimeout(() => this.fillSilence(), SILENCE_TICK_MS);
  }

  private stopSilence(): void {
    if (this.filler === undefined) return;
    if (this.filler.timer !== undefined) this.clock.clearTimeout(this.filler.timer);
    this.filler = undefined;
  }

  private armWatch(): void {
    this.watchArmedAt = this.clock.now();
    this.watchTimer = this.clock.setTimeout(() => this.watchSource(), WATCH_MS);
  }

  /** Silence takes over when the source stopped; watching stops until it sends again. */
  private watchSource(): void {
    this.watchTimer = undefined;
    if (this.closeReason !== undefined || this.filler !== undefined) return;
    const now = this.clock.now();
    // A tick this late means the event loop was blocked: packets that arrived meanwhile
    // may still be queued behind this timer, so the source is not judged on it.
    const blocked = now - this.watchArmedAt > 2 * WATCH_MS;
    if (!blocked && now - this.lastInputAt > SOURCE_GONE_MS) {
      this.stats.sourceStops++;
      // The last packet's samples end about when it arrived: silence goes on from there.
      this.startSilence(this.lastInputAt + FILL_BEHIND_MS, this.samples);
      return;
    }
    this.armWatch();
  }

  private write(pcm: Int16Array): void {
    if (pcm.length === 0) return;
    this.advance(pcm.length / 2, () => this.encoder.write(this.mixer.mix(pcm)));
  }

  /** Hands `samples` of audio to the encoder (`hand`), moving the sample clock. */
  private advance(samples: number, hand: () => void): void {
    if (samples <= 0) return;
    const cleanBefore = this.untouched;
    const from = this.samples;
    hand();
    this.samples += samples;
    // A sound that ends inside this piece leaves the mixer clean from the next one on.
    if (cleanBefore) this.cleanFrom ??= this.ptsOfSample(from);
    else this.cleanFrom = this.untouched ? this.ptsOfSample(this.samples) : undefined;
  }

  private onAacFrame(raw: Buffer, index: number): void {
    if (this.closeReason !== undefined || this.anchors.length === 0) return;
    const first = index * AAC_FRAME_SAMPLES - this.encoder.primingSamples;
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

/** `a` mod `m` in 0..m−1, also for negative `a`. */
function modulo(a: number, m: number): number {
  return ((a % m) + m) % m;
}
