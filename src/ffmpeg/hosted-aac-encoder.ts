/**
 * One stream's AAC encoder as a channel of the shared host (aac-encoder-host.ts): the same
 * surface as an ffmpeg child of its own (AacEncoder), at a fraction of the cost.
 *
 * Input: PCM (write), or Opus packets that the host decodes (writeOpus, with the number
 * of samples the caller counted for them; conceal for a lost one), all in one sample
 * stream. Held here until it completes a frame (the host can do nothing with less), then
 * sent at the end of the turn with every other channel's.
 *
 * Surviving the host: the host serves every stream, so its death must not end them. The
 * channel keeps the messages it sent from REPLAY_LEAD_FRAMES input frames before its next
 * output frame's own on (normally 4 or 5 frames, 16–20 KiB of PCM, or a few Opus
 * packets). When the host process dies and is started again, the channel opens anew with
 * a skip up to the first frame boundary in them, and replays them; the new encoder's
 * frames that cover time already emitted are dropped, so frame indices (the caller's
 * clock) go on with no gap and no repeat. Frames in flight at the crash come late, not
 * never.
 */
import { TypedEmitter } from '../util/typed-emitter';
import {
  AAC_AUDIO_SPECIFIC_CONFIG,
  AAC_CHANNELS,
  AAC_FRAME_SAMPLES,
  AAC_PRIMING_SAMPLES,
  aacBitrateKbps,
  type AacEncoderLibrary,
  pcmBytes,
  type AacEncoder,
  type AacEncoderEvents,
  type AacEncoderStats,
  type OpusDecodingAacEncoder,
} from './aac-encoder';
import { HostEncoder, closeMessage, concealMessage, openMessage, opusHeader, pcmHeader, type HostEncoderCode } from './aac-host-protocol';

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
  /** The channel holds input that completes a frame: the host collects it (takeMessage) at the end of the turn. */
  wantsFlush(channel: HostedAacEncoder): void;
  /** The channel has ended: its number may be given to another. */
  release(channel: HostedAacEncoder): void;
  /** The host process fell behind: end it and start another (the channels replay). */
  restart(reason: string): void;
}

type ChannelState = 'open' | 'draining' | 'ended';

/** Messages sent (or to send) for the input samples from `start` on. */
interface Sent {
  start: number;
  samples: number;
  message: Buffer[];
}

export class HostedAacEncoder extends TypedEmitter<AacEncoderEvents> implements OpusDecodingAacEncoder {
  readonly audioSpecificConfig: Buffer = AAC_AUDIO_SPECIFIC_CONFIG;
  readonly bitrateKbps: number;
  readonly primingSamples: number;
  /** This encoder decodes Opus itself (writeOpus, conceal). */
  readonly decodesOpus = true as const;
  private state: ChannelState = 'open';
  /** Input not yet sent: it does not complete a frame yet. */
  private held: Sent[] = [];
  private heldSamples = 0;
  /** Input sent and not yet behind the output, for a replay. */
  private retained: Sent[] = [];
  private samplesSent = 0;
  /** Frames emitted: the index of the next. */
  private frames = 0;
  /** Frames still to drop from a restarted host: they cover time already emitted. */
  private skip = 0;
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
    bitrateKbps: number | undefined,
    readonly library: AacEncoderLibrary,
  ) {
    super();
    this.bitrateKbps = aacBitrateKbps(bitrateKbps);
    this.primingSamples = AAC_PRIMING_SAMPLES[library];
    host.send([this.openMessage(0)]);
  }

  get pid(): number | undefined {
    return this.host.pid;
  }

  get closed(): boolean {
    return this.closeReason !== undefined;
  }

  get stats(): AacEncoderStats {
    return { samplesIn: this.samplesSent + this.heldSamples, samplesHeld: this.heldSamples, pipeWrites: this.messages, framesOut: this.frames, droppedBytes: 0 };
  }

  write(pcm: Int16Array): void {
    if (this.state !== 'open' || pcm.length === 0) return;
    const bytes = pcmBytes(pcm);
    this.hold(bytes.length / (AAC_CHANNELS * 2), [pcmHeader(this.channel, bytes.length), bytes]);
  }

  /**
   * One Opus packet, decoded by the host to exactly `samples` per channel (what the caller
   * counted from its TOC; a packet libopus refuses is concealed for that long).
   */
  writeOpus(packet: Buffer, samples: number): void {
    if (this.state !== 'open' || samples <= 0) return;
    this.hold(samples, [opusHeader(this.channel, samples, packet.length), packet]);
  }

  /** `samples` of libopus packet-loss concealment (the last sound faded out), for a gap. */
  conceal(samples: number): void {
    if (this.state !== 'open' || samples <= 0) return;
    this.hold(samples, [concealMessage(this.channel, samples)]);
  }

  /** For the host's end-of-turn write: everything held, once it completes a frame. */
  takeMessage(): Buffer[] | undefined {
    if (this.state !== 'open' || !this.completesFrame()) return undefined;
    // Checked before these messages: a burst the host has not yet had a turn to encode is no stall.
    const owed = Math.floor(this.samplesSent / AAC_FRAME_SAMPLES) + 1 - this.frames;
    const now = performance.now();
    if (owed <= FRAMES_IN_FLIGHT) this.progressAt = now;
    else if (now - this.progressAt > this.host.stallMs) {
      const silentMs = Math.round(now - this.progressAt);
      this.progressAt = now;
      this.host.restart(`the AAC host sent nothing on channel ${this.channel} for ${silentMs} ms, owing ${owed} frames`);
    }
    return this.sendHeld();
  }

  /**
   * Ends the input: the host pads the last part of a frame with silence and drains the
   * encoder (its frames are emitted), then 'close'. Resolves when the host confirmed, or
   * is gone. Idempotent; the first reason is the one reported.
   */
  close(reason: string): Promise<void> {
    if (this.closing) return this.closing;
    if (this.closeReason === undefined) this.closeReason = reason;
    this.closing = new Promise((resolve) => (this.resolveClosing = resolve));
    if (this.state === 'open') {
      const last = this.sendHeld();
      this.state = 'draining';
      this.host.send([...last, closeMessage(this.channel)]);
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
    // The next frame starts inside this input frame; keep the lead before it too.
    const nextStarts = Math.floor((this.frames * AAC_FRAME_SAMPLES - this.primingSamples) / AAC_FRAME_SAMPLES);
    this.forgetBefore((nextStarts - REPLAY_LEAD_FRAMES) * AAC_FRAME_SAMPLES);
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
    // Replay from the first message retained (REPLAY_LEAD_FRAMES before the next output's,
    // or a little earlier), its samples before the first frame boundary skipped.
    const from = this.retained.length > 0 ? this.retained[0].start : this.samplesSent;
    const firstFrame = Math.ceil(from / AAC_FRAME_SAMPLES);
    // The new encoder's frame j covers what frame firstFrame + j did.
    this.skip = this.frames - firstFrame;
    const messages = [this.openMessage(firstFrame * AAC_FRAME_SAMPLES - from)];
    for (const sent of this.retained) for (const b of sent.message) messages.push(b);
    return messages;
  }

  private openMessage(skip: number): Buffer {
    const encoder: HostEncoderCode = this.library === 'vo-aacenc' ? HostEncoder.VisualOn : HostEncoder.Libavcodec;
    return openMessage(this.channel, this.bitrateKbps * 1000, skip, encoder);
  }

  private hold(samples: number, message: Buffer[]): void {
    this.held.push({ start: this.samplesSent + this.heldSamples, samples, message });
    this.heldSamples += samples;
    if (this.completesFrame()) this.host.wantsFlush(this);
  }

  /** True when what is held takes the input past a frame boundary. */
  private completesFrame(): boolean {
    return this.heldSamples > 0 && Math.floor((this.samplesSent + this.heldSamples) / AAC_FRAME_SAMPLES) > Math.floor(this.samplesSent / AAC_FRAME_SAMPLES);
  }

  private sendHeld(): Buffer[] {
    const out: Buffer[] = [];
    for (const sent of this.held) {
      for (const b of sent.message) out.push(b);
      this.retained.push(sent);
    }
    if (this.held.length > 0) this.messages++;
    this.samplesSent += this.heldSamples;
    this.held = [];
    this.heldSamples = 0;
    return out;
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

  /** Drops retained messages that lie wholly before input sample `sample`. */
  private forgetBefore(sample: number): void {
    while (this.retained.length > 0 && this.retained[0].start + this.retained[0].samples <= sample) this.retained.shift();
  }

  private end(reason: string): void {
    if (this.state === 'ended') return;
    this.state = 'ended';
    if (this.drainWatch !== undefined) clearTimeout(this.drainWatch);
    this.drainWatch = undefined;
    if (this.closeReason === undefined) this.closeReason = reason;
    this.retained = [];
    this.held = [];
    this.heldSamples = 0;
    this.host.release(this);
    if (!this.closing) this.closing = Promise.resolve();
    this.emit('close', reason);
    this.resolveClosing?.();
  }
}
