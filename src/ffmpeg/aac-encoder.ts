/**
 * AAC-LC encoder: interleaved s16le 48 kHz stereo PCM into an ffmpeg child's stdin,
 * ADTS frames out of its stdout, split with AdtsParser and handed on raw (header
 * stripped) as FLV wants them.
 *
 * Timing: ffmpeg's native AAC encoder primes with 1024 samples, so output frame i holds
 * input samples [(i − 1)·1024, i·1024): frame 0 is the priming frame. `AACENCODER_PRIMING`
 * says so for whoever turns frame indices into timestamps (AudioTrack does).
 */
import { AacObjectType, AdtsParser, buildAudioSpecificConfig } from '../media/aac';
import { TypedEmitter } from '../util/typed-emitter';
import { SupervisedProcess } from './child-process';
import { resolveFfmpegPath } from './ffmpeg-path';

export const AAC_SAMPLE_RATE = 48000;
export const AAC_CHANNELS = 2;
export const AAC_FRAME_SAMPLES = 1024;
/** Samples of encoder delay before the first input sample appears in the output. */
export const AACENCODER_PRIMING = 1024;

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

/** The ffmpeg command line: raw PCM in, ADTS out, nothing buffered that need not be. */
export function aacEncoderArgs(bitrateKbps: number): string[] {
  return [
    '-hide_banner', '-nostats', '-loglevel', 'error',
    // Input: the format is given, so probe as little as possible. Not `-fflags nobuffer`:
    // it discards the packets read while probing (measured: the first 1024 samples are
    // lost, which shifts all audio 21 ms early against video).
    '-probesize', '32', '-analyzeduration', '0',
    '-f', 's16le', '-ar', String(AAC_SAMPLE_RATE), '-ac', String(AAC_CHANNELS), '-i', 'pipe:0',
    '-vn', '-c:a', 'aac', '-b:a', `${bitrateKbps}k`, '-ar', String(AAC_SAMPLE_RATE), '-ac', String(AAC_CHANNELS),
    // output: write every packet as soon as it exists
    '-flush_packets', '1', '-f', 'adts', 'pipe:1',
  ];
}

export class AacEncoder extends TypedEmitter<AacEncoderEvents> {
  /** AAC-LC, 48 kHz, stereo: the FLV/RTMP AAC sequence header payload. */
  readonly audioSpecificConfig: Buffer = buildAudioSpecificConfig({ objectType: AacObjectType.Lc, sampleRate: AAC_SAMPLE_RATE, channels: AAC_CHANNELS });
  readonly bitrateKbps: number;
  private readonly proc: SupervisedProcess;
  private readonly parser = new AdtsParser();
  private frames = 0;
  private samplesIn = 0;
  private closeReason: string | undefined;
  private closing: Promise<void> | undefined;

  constructor(opts: AacEncoderOptions = {}) {
    super();
    const bitrate = opts.bitrateKbps ?? 128;
    if (!Number.isFinite(bitrate) || bitrate < 8 || bitrate > 512) throw new RangeError(`AAC bitrate ${bitrate} kbps is out of 8..512`);
    this.bitrateKbps = Math.round(bitrate);
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

  /** Counters for stats. */
  get stats(): { samplesIn: number; framesOut: number; droppedBytes: number } {
    return { samplesIn: this.samplesIn, framesOut: this.frames, droppedBytes: this.proc.stats.droppedBytes };
  }

  /** Interleaved stereo s16 at 48 kHz. Ignored once closed. */
  write(pcm: Int16Array): void {
    if (this.closeReason !== undefined || this.closing || pcm.length === 0) return;
    if (pcm.length % AAC_CHANNELS !== 0) throw new RangeError('PCM must hold whole stereo frames');
    this.samplesIn += pcm.length / AAC_CHANNELS;
    // Int16Array is host-endian; every platform Node runs on here is little-endian.
    this.proc.write(Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength));
  }

  /**
   * Ends the input; ffmpeg flushes what it holds (emitted as frames) and exits. Resolves
   * when it is gone. Idempotent; the first reason is the one reported.
   */
  close(reason: string): Promise<void> {
    if (this.closing) return this.closing;
    if (this.closeReason === undefined) this.closeReason = reason;
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
    // `reason` names our own reason when the stop was ours, and always how ffmpeg ended.
    if (this.closeReason === undefined) this.closeReason = reason;
    if (!this.closing) this.closing = Promise.resolve();
    this.emit('close', reason);
  }
}
