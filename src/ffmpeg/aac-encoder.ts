/**
 * AAC-LC encoders: the AacEncoder surface every stream's audio uses, and the ffmpeg child
 * behind it when there is no shared host (FfmpegAacEncoder; the host's channel is
 * HostedAacEncoder, which runs ffmpeg's encoder or VisualOn's). Interleaved s16le 48 kHz stereo PCM goes into
 * the child's stdin, ADTS frames come out of its stdout, split with AdtsParser and handed
 * on raw (header stripped) as FLV wants them.
 *
 * Timing: ffmpeg's native AAC encoder primes with 1024 samples, so output frame i holds
 * input samples [(i − 1)·1024, i·1024): frame 0 is the priming frame. Each encoder's
 * `primingSamples` says so for whoever turns frame indices into timestamps (AudioTrack
 * does); VisualOn's primes with 1600.
 *
 * Latency: frame i comes out once input reaches (i + 2)·1024 samples: its MDCT block
 * spans [(i − 1)·1024, (i + 1)·1024), and ffmpeg's encoder returns nothing for its first
 * input frame because its window-switching look-ahead reads into the frame after
 * (libavcodec/aacenc.c, `if (!avctx->frame_number) return 0`). So a frame leaves 2048
 * samples (42.7 ms) after its own last sample; fed in 20 ms Opus packets that is 2 or 3
 * packets later (40 or 60 ms). Nothing else in the child holds audio: the raw PCM
 * demuxer reads 1024-sample packets, the muxer writes each frame at once
 * (-flush_packets 1); measured, a frame comes out 0.3 ms (p50) after the write that
 * completed the input it needs.
 *
 * Writes: ffmpeg can do nothing with part of a 1024-sample frame, so PCM is handed to it
 * in whole frames only, at no cost in latency (a part of a frame waits here for a later
 * write): 15 pipe writes and child wake-ups per 16 Opus packets instead of 16. And the
 * writes of one event-loop turn go as one writev at its end (setImmediate): when the
 * loop was held up, the packets that queued meanwhile arrive in one turn, and ffmpeg is
 * woken once for all of them instead of once each.
 */
import { AacObjectType, AdtsParser, buildAudioSpecificConfig } from '../media/aac';
import { TypedEmitter } from '../util/typed-emitter';
import { SupervisedProcess } from './child-process';
import { resolveFfmpegPath } from './ffmpeg-path';
import { PcmFrameBatcher } from './pcm-frames';

export const AAC_SAMPLE_RATE = 48000;
export const AAC_CHANNELS = 2;
export const AAC_FRAME_SAMPLES = 1024;
/**
 * The AAC-LC encoders a host channel can run (setting aac_encoder): VisualOn's
 * (libvo-aacenc) gives a frame back for every 1024 samples it is handed; ffmpeg's
 * (libavcodec `aac`) holds one frame more for its window-switching look-ahead (see
 * aac-host.c).
 */
export const AAC_ENCODER_LIBRARIES = ['vo-aacenc', 'ffmpeg'] as const;
export type AacEncoderLibrary = (typeof AAC_ENCODER_LIBRARIES)[number];
/** Samples of encoder delay before the first input sample appears in the output: frame i holds input from i·1024 − this on. */
export const AAC_PRIMING_SAMPLES: Readonly<Record<AacEncoderLibrary, number>> = { ffmpeg: 1024, 'vo-aacenc': 1600 };
/** VisualOn's encoder takes at most 160 kbit/s per channel; above, a channel runs ffmpeg's. */
export const VO_AACENC_MAX_KBPS = 320;
/** Bytes of one encoder frame of input (1024 stereo s16 samples): ffmpeg's raw PCM packet too. */
const AAC_FRAME_BYTES = AAC_FRAME_SAMPLES * AAC_CHANNELS * 2;
/** AAC-LC, 48 kHz, stereo: the FLV/RTMP AAC sequence header payload of every encoder here. */
export const AAC_AUDIO_SPECIFIC_CONFIG: Buffer = buildAudioSpecificConfig({ objectType: AacObjectType.Lc, sampleRate: AAC_SAMPLE_RATE, channels: AAC_CHANNELS });

export interface AacEncoderOptions {
  ffmpegPath?: string;
  /** Default 128. */
  bitrateKbps?: number;
}

export type AacEncoderEvents = {
  /** One raw AAC frame (no ADTS header); index 0, 1, 2… each covers 1024 samples. */
  frame: [raw: Buffer, index: number];
  /** Once: the encoder ended, on close() or because ffmpeg died or misbehaved. */
  close: [reason: string];
};

export interface AacEncoderStats {
  samplesIn: number;
  /** Written but not yet handed to the encoder process (this turn's, and less than a frame). */
  samplesHeld: number;
  /** Hand-overs to the encoder process (write/writev calls, or messages to the host). */
  pipeWrites: number;
  framesOut: number;
  droppedBytes: number;
}

/**
 * An AAC-LC 48 kHz stereo encoder, whichever process runs it: one ffmpeg child of its own
 * (FfmpegAacEncoder, below) or a channel of the shared host (HostedAacEncoder).
 */
export interface AacEncoder {
  readonly audioSpecificConfig: Buffer;
  readonly bitrateKbps: number;
  /** Whose AAC-LC encoder this is. */
  readonly library: AacEncoderLibrary;
  /** Output frame i holds input samples from i·1024 − primingSamples on. */
  readonly primingSamples: number;
  readonly closed: boolean;
  /** The pid of the process encoding (shared by every channel of a host). */
  readonly pid: number | undefined;
  readonly stats: AacEncoderStats;
  /**
   * Interleaved stereo s16 at 48 kHz. Ignored once closed. The samples are not copied:
   * `pcm` must not be changed after the call.
   */
  write(pcm: Int16Array): void;
  /** Ends the input; the frames still inside come out, then 'close'. Idempotent. */
  close(reason: string): Promise<void>;
  on<K extends keyof AacEncoderEvents>(event: K, listener: (...args: AacEncoderEvents[K]) => void): this;
  once<K extends keyof AacEncoderEvents>(event: K, listener: (...args: AacEncoderEvents[K]) => void): this;
}

/** An encoder that decodes Opus itself (a channel of the host): a track hands it packets, not PCM. */
export interface OpusDecodingAacEncoder extends AacEncoder {
  readonly decodesOpus: true;
  /** One Opus packet that decodes to `samples` per channel (counted by the caller from its TOC). */
  writeOpus(packet: Buffer, samples: number): void;
  /** `samples` of packet-loss concealment. */
  conceal(samples: number): void;
}

export function decodesOpus(encoder: AacEncoder): encoder is OpusDecodingAacEncoder {
  return (encoder as Partial<OpusDecodingAacEncoder>).decodesOpus === true;
}

/** Checks a bit rate in kbit/s (8..512) and rounds it. */
export function aacBitrateKbps(requested: number | undefined): number {
  const bitrate = requested ?? 128;
  if (!Number.isFinite(bitrate) || bitrate < 8 || bitrate > 512) throw new RangeError(`AAC bitrate ${bitrate} kbps is out of 8..512`);
  return Math.round(bitrate);
}

/** Int16Array samples as bytes, without a copy (host-endian: little-endian everywhere Node runs here). */
export function pcmBytes(pcm: Int16Array): Buffer {
  if (pcm.length % AAC_CHANNELS !== 0) throw new RangeError('PCM must hold whole stereo frames');
  return Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength);
}

/** The ffmpeg command line: raw PCM in, ADTS out, nothing buffered that need not be. */
export function aacEncoderArgs(bitrateKbps: number): string[] {
  return [
    '-hide_banner', '-nostats', '-loglevel', 'error',
    // Input: the format is given, so probe as little as possible. Not `-fflags nobuffer`:
    // it discards the packets read while probing (measured: the first 1024 samples are
    // lost, which shifts all audio 21 ms early against video).
    '-probesize', '32', '-analyzeduration', '0',
    '-f', 's16le', '-ar', String(AAC_SAMPLE_RATE), '-ac', String(AAC_CHANNELS), '-i', 'pipe:0',
    // One thread: the filter graph would otherwise start a pool of one idle thread per
    // core (`-threads` reaches it through the encoder options; `-filter_threads` says so
    // outright), for a graph that does nothing but pass 1024-sample frames through.
    '-threads', '1', '-filter_threads', '1',
    '-vn', '-c:a', 'aac', '-b:a', `${bitrateKbps}k`, '-ar', String(AAC_SAMPLE_RATE), '-ac', String(AAC_CHANNELS),
    // The coder that the bundled ffmpeg (2018) uses by default; newer ones default to
    // twoloop, which costs 2.4× the instructions for the same bitrate and a waveform SNR
    // within 0.1 dB. Named so an ffmpeg_path pointing at a system ffmpeg costs the same.
    '-aac_coder', 'fast',
    // output: write every packet as soon as it exists
    '-flush_packets', '1', '-f', 'adts', 'pipe:1',
  ];
}

/** One ffmpeg child of its own: what every stream had before the shared host, and its fallback. */
export class FfmpegAacEncoder extends TypedEmitter<AacEncoderEvents> implements AacEncoder {
  readonly audioSpecificConfig: Buffer = AAC_AUDIO_SPECIFIC_CONFIG;
  readonly bitrateKbps: number;
  readonly library = 'ffmpeg';
  readonly primingSamples = AAC_PRIMING_SAMPLES.ffmpeg;
  private readonly proc: SupervisedProcess;
  private readonly parser = new AdtsParser();
  private frames = 0;
  private samplesIn = 0;
  /** PCM not yet handed to ffmpeg: this turn's writes, and less than a frame from before. */
  private readonly batcher = new PcmFrameBatcher(AAC_FRAME_BYTES);
  /** The end-of-turn hand-over, while one is due. */
  private flushAtTurnEnd: NodeJS.Immediate | undefined;
  private closeReason: string | undefined;
  private closing: Promise<void> | undefined;

  constructor(opts: AacEncoderOptions = {}) {
    super();
    this.bitrateKbps = aacBitrateKbps(opts.bitrateKbps);
    this.proc = new SupervisedProcess({
      name: 'ffmpeg aac encoder',
      command: resolveFfmpegPath(opts.ffmpegPath),
      args: aacEncoderArgs(this.bitrateKbps),
      // A stalled encoder is a dead one for live audio: keep at most ~5 s queued.
      maxBufferedBytes: 5 * AAC_SAMPLE_RATE * AAC_CHANNELS * 2,
    });
    this.proc.on('stdout', (data) => this.onOutput(data));
    this.proc.on('close', (reason) => this.onExit(reason));
  }

  /** The ffmpeg child's pid (undefined if it could not start). */
  get pid(): number | undefined {
    return this.proc.pid;
  }

  get closed(): boolean {
    return this.closeReason !== undefined;
  }

  get stats(): AacEncoderStats {
    const pipe = this.proc.stats;
    return { samplesIn: this.samplesIn, samplesHeld: this.batcher.heldBytes / (AAC_CHANNELS * 2), pipeWrites: pipe.writes, framesOut: this.frames, droppedBytes: pipe.droppedBytes };
  }

  /**
   * Interleaved stereo s16 at 48 kHz. Ignored once closed. The samples are not copied:
   * `pcm` must not be changed after the call (they go to ffmpeg at the end of this
   * event-loop turn, a part past the last whole encoder frame with a later write).
   */
  write(pcm: Int16Array): void {
    if (this.closeReason !== undefined || this.closing || pcm.length === 0) return;
    const bytes = pcmBytes(pcm);
    this.samplesIn += pcm.length / AAC_CHANNELS;
    this.batcher.add(bytes);
    if (this.flushAtTurnEnd === undefined && this.batcher.hasWholeFrame) this.flushAtTurnEnd = setImmediate(() => this.flush());
  }

  /** Hands ffmpeg every whole frame held, in one writev; keeps the part of a frame after them. */
  private flush(): void {
    this.flushAtTurnEnd = undefined;
    const { chunks } = this.batcher.takeWholeFrames();
    if (chunks.length > 0) this.proc.writev(chunks);
  }

  /**
   * Ends the input; ffmpeg flushes what it holds (emitted as frames) and exits. Resolves
   * when it is gone. Idempotent; the first reason is the one reported.
   */
  close(reason: string): Promise<void> {
    if (this.closing) return this.closing;
    if (this.closeReason === undefined) this.closeReason = reason;
    // All that is held, the last partial frame too: ffmpeg pads it at the end of input.
    if (this.flushAtTurnEnd !== undefined) clearImmediate(this.flushAtTurnEnd);
    this.flushAtTurnEnd = undefined;
    this.proc.writev(this.batcher.takeAll().chunks);
    this.closing = this.proc.close(reason).then(() => undefined);
    return this.closing;
  }

  private onOutput(data: Buffer): void {
    for (const frame of this.parser.push(data)) {
      if (frame.objectType !== AacObjectType.Lc || frame.sampleRate !== AAC_SAMPLE_RATE || frame.channels !== AAC_CHANNELS) {
        void this.close(`ffmpeg wrote AAC that is not LC 48 kHz stereo (type ${frame.objectType}, ${frame.sampleRate} Hz, ${frame.channels} ch)`);
        return;
      }
      this.emit('frame', frame.payload, this.frames++);
    }
  }

  private onExit(reason: string): void {
    if (this.flushAtTurnEnd !== undefined) clearImmediate(this.flushAtTurnEnd);
    this.flushAtTurnEnd = undefined;
    this.batcher.takeAll();
    // `reason` names our own reason when the stop was ours, and always how ffmpeg ended.
    if (this.closeReason === undefined) this.closeReason = reason;
    if (!this.closing) this.closing = Promise.resolve();
    this.emit('close', reason);
  }
}
