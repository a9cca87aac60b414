/**
 * One stream's AAC encoder as a channel of the shared host (aac-encoder-host.ts): the same
 * surface as an ffmpeg child of its own (AacEncoder), at a fraction of the cost.
 *
 * Surviving the host: the host serves every stream, so its death must not end them. The
 * channel keeps the PCM it sent from REPLAY_LEAD_FRAMES input frames before its next
 * output frame's own on (normally 4 or 5 frames, 16–20 KiB). When the host process dies
 * and is started again, the channel opens anew and replays that PCM; the new encoder's
 * frames that cover time already emitted are dropped, so frame indices (the caller's
 * clock) go on with no gap and no repeat. Frames in flight at the crash come late, not
 * never.
 */
import { TypedEmitter } from '../util/typed-emitter';
import {
  AAC_AUDIO_SPECIFIC_CONFIG,
  AAC_CHANNELS,
  AAC_FRAME_BYTES,
  aacBitrateKbps,
  pcmBytes,
  type AacEncoder,
  type AacEncoderEvents,
  type AacEncoderStats,
} from './aac-encoder';
import { closeMessage, openMessage, pcmHeader } from './aac-host-protocol';
import { PcmFrameBatcher } from './pcm-frames';

/** Frames a channel may be owed while its encoder simply works (priming, look-ahead, this turn's). */
const FRAMES_IN_FLIGHT = 3;
/**
 * Input frames replayed into a new encoder ahead of the first frame it must give, so the
 * splice is not a click. A new encoder sees silence, then the replayed PCM: an attack, on
 * which it switches to short windows for its first frames (then a LONG_STOP). Its first
 * frame given must be a plain long one that overlaps the old encoder's last frame as that
 * one's own successor would. Measured with a tone and a chirp whose host was killed
 * mid-stream (the SIGKILL test in test/ffmpeg/aac-encoder-host.test.ts checks the tone):
 * with 0 or 1 frame ahead, the window at the splice is off the input by 18–27 % RMS; with
 * 2, the decoded audio is that of an unkilled run.
 */
const REPLAY_LEAD_FRAMES = 2;

/** What a channel needs of its host. */
export interface ChannelHost {
  readonly pid: number | undefined;
  /** Owed frames and none for this long: the host is stuck. */
  readonly stallMs: number;
  /** Queues messages for the host; they leave at the end of this event-loop turn with the rest. */
  send(messages: Buffer[]): void;
  /** The channel holds whole frames: the host collects them (takeMessage) at the end of the turn. */
  wantsFlush(channel: HostedAacEncoder): void;
  /** The channel has ended: its number may be given to another. */
  release(channel: HostedAacEncoder): void;
  /** The host process fell behind: end it and start another (the channels replay). */
  restart(reason: string): void;
}

type ChannelState = 'open' | 'draining' | 'ended';

export class HostedAacEncoder extends TypedEmitter<AacEncoderEvents> implements AacEncoder {
  readonly audioSpecificConfig: Buffer = AAC_AUDIO_SPECIFIC_CONFIG;
  readonly bitrateKbps: number;
  private state: ChannelState = 'open';
  private readonly batcher = new PcmFrameBatcher(AAC_FRAME_BYTES);
  /** PCM sent to the host and not yet behind the output, from byte `retainedFrom` of the input on. */
  private retained: Buffer[] = [];
  private retainedFrom = 0;
  private bytesSent = 0;
  /** Frames emitted: the index of the next. */
  private frames = 0;
  /** Frames still to drop from a restarted host: they cover time already emitted. */
  private skip = 0;
  private samplesIn = 0;
  private messages = 0;
  /** When the host last showed progress on this channel (a frame, or nothing owed). */
  private progressAt = performance.now();
  private closeReason: string | undefined;
  private closing: Promise<void> | undefined;
  private resolveClosing: (() => void) | undefined;
  /** While draining: checks that the host still answers (no write comes to notice a stall). */
  private drainWatch: NodeJS.Timeout | undefined;

  constructor(
    private readonly host: ChannelHost,
    /** The channel number on the wire; the host's to give. */
    readonly channel: number,
    bitrateKbps?: number,
  ) {
    super();
    this.bitrateKbps = aacBitrateKbps(bitrateKbps);
    host.send([openMessage(channel, this.bitrateKbps * 1000)]);
  }

  get pid(): number | undefined {
    return this.host.pid;
  }

  get closed(): boolean {
    return this.closeReason !== undefined;
  }

  get stats(): AacEncoderStats {
    return { samplesIn: this.samplesIn, samplesHeld: this.batcher.heldBytes / (AAC_CHANNELS * 2), pipeWrites: this.messages, framesOut: this.frames, droppedBytes: 0 };
  }

  write(pcm: Int16Array): void {
    if (this.state !== 'open' || pcm.length === 0) return;
    const bytes = pcmBytes(pcm);
    this.samplesIn += pcm.length / AAC_CHANNELS;
    this.batcher.add(bytes);
    if (this.batcher.hasWholeFrame) this.host.wantsFlush(this);
  }

  /** For the host's end-of-turn write: a PCM message with every whole frame held, or none. */
  takeMessage(): Buffer[] | undefined {
    if (this.state !== 'open') return undefined;
    const { chunks, bytes } = this.batcher.takeWholeFrames();
    if (bytes === 0) return undefined;
    // Checked before this message: a burst the host has not yet had a turn to encode is no stall.
    const owed = this.bytesSent / AAC_FRAME_BYTES + 1 - this.frames;
    const now = performance.now();
    if (owed <= FRAMES_IN_FLIGHT) this.progressAt = now;
    else if (now - this.progressAt > this.host.stallMs) {
      const silentMs = Math.round(now - this.progressAt);
      this.progressAt = now;
      this.host.restart(`the AAC host sent nothing on channel ${this.channel} for ${silentMs} ms, owing ${owed} frames`);
    }
    this.sent(chunks, bytes);
    return [pcmHeader(this.channel, bytes), ...chunks];
  }

  /**
   * Ends the input: the last part of a frame is padded with silence, the host drains the
   * encoder (its frames are emitted), then 'close'. Resolves when the host confirmed, or
   * is gone. Idempotent; the first reason is the one reported.
   */
  close(reason: string): Promise<void> {
    if (this.closing) return this.closing;
    if (this.closeReason === undefined) this.closeReason = reason;
    this.closing = new Promise((resolve) => (this.resolveClosing = resolve));
    if (this.state === 'open') {
      this.state = 'draining';
      const { chunks, bytes } = this.batcher.takeAll();
      const padding = (AAC_FRAME_BYTES - (bytes % AAC_FRAME_BYTES)) % AAC_FRAME_BYTES;
      if (padding > 0) chunks.push(Buffer.alloc(padding));
      const messages = bytes > 0 ? [pcmHeader(this.channel, bytes + padding), ...chunks] : [];
      this.messages += messages.length > 0 ? 1 : 0;
      this.host.send([...messages, closeMessage(this.channel)]);
      this.progressAt = performance.now();
      this.watchDrain();
    } else {
      this.end(reason);
    }
    return this.closing;
  }

  /** An 'F' from the host. */
  onFrame(raw: Buffer): void {
    if (this.state === 'ended') return;
    if (this.skip > 0) {
      this.skip--;
      return;
    }
    this.progressAt = performance.now();
    this.emit('frame', raw, this.frames++);
    // The next frame holds input frame `this.frames - 1`; keep the lead before it too.
    this.forgetBefore((this.frames - 1 - REPLAY_LEAD_FRAMES) * AAC_FRAME_BYTES);
  }

  /** A 'C' from the host: drained. */
  onClosed(): void {
    this.end(this.closeReason ?? 'the AAC host closed the channel');
  }

  /** An 'E' from the host: the channel is gone there. */
  onError(text: string): void {
    this.end(`AAC encoder host: ${text}`);
  }

  /**
   * The host process is gone. With a new one coming, an open channel answers the messages
   * that open it there and replay what it needs; a draining one (or any, with no new
   * host) ends.
   */
  onHostLost(reason: string, restarting: boolean): Buffer[] | undefined {
    if (this.state !== 'open' || !restarting) {
      this.end(this.closeReason ?? `AAC encoder host ended: ${reason}`);
      return undefined;
    }
    // Replay from the first whole frame retained (REPLAY_LEAD_FRAMES before the next output's, or earlier).
    const replay = Buffer.concat(this.retained);
    const firstFrame = Math.ceil(this.retainedFrom / AAC_FRAME_BYTES);
    const pcm = replay.subarray(firstFrame * AAC_FRAME_BYTES - this.retainedFrom);
    // The new encoder's frame j covers what frame firstFrame + j did.
    this.skip = this.frames - firstFrame;
    this.retained = pcm.length > 0 ? [pcm] : [];
    this.retainedFrom = firstFrame * AAC_FRAME_BYTES;
    const messages = [openMessage(this.channel, this.bitrateKbps * 1000)];
    if (pcm.length > 0) messages.push(pcmHeader(this.channel, pcm.length), pcm);
    return messages;
  }

  /**
   * A draining channel writes no more, so takeMessage cannot see a stuck host: a host that
   * sends nothing on it for stallMs is restarted (which ends the channel; the others
   * replay), or its close() would wait forever.
   */
  private watchDrain(): void {
    const left = this.progressAt + this.host.stallMs - performance.now();
    this.drainWatch = setTimeout(() => {
      this.drainWatch = undefined;
      if (this.state !== 'draining') return;
      const silentMs = performance.now() - this.progressAt;
      if (silentMs >= this.host.stallMs) {
        this.progressAt = performance.now();
        this.host.restart(`the AAC host sent nothing on channel ${this.channel} for ${Math.round(silentMs)} ms while draining it`);
      }
      if (this.state === 'draining') this.watchDrain();
    }, Math.max(1, left));
  }

  private sent(chunks: Buffer[], bytes: number): void {
    for (const c of chunks) this.retained.push(c);
    this.bytesSent += bytes;
    this.messages++;
  }

  /** Drops retained PCM that lies wholly before input byte `offset`. */
  private forgetBefore(offset: number): void {
    while (this.retained.length > 0 && this.retainedFrom + this.retained[0].length <= offset) {
      this.retainedFrom += this.retained[0].length;
      this.retained.shift();
    }
  }

  private end(reason: string): void {
    if (this.state === 'ended') return;
    this.state = 'ended';
    if (this.drainWatch !== undefined) clearTimeout(this.drainWatch);
    this.drainWatch = undefined;
    if (this.closeReason === undefined) this.closeReason = reason;
    this.retained = [];
    this.batcher.takeAll();
    this.host.release(this);
    if (!this.closing) this.closing = Promise.resolve();
    this.emit('close', reason);
    this.resolveClosing?.();
  }
}
