/**
 * The AAC encoders (and, for shared tracks, the Opus decoders) of every stream in one
 * process (build/aac-host, src/ffmpeg/aac-host.c): a stream's encoder is a channel there
 * (HostedAacEncoder) instead of an ffmpeg child of its own. Measured on 2 cores (see the
 * README): RSS ~1 MiB per stream instead of 13, and the Opus decode off the JavaScript
 * thread.
 *
 * - Writes: what the channels hold once it completes a frame (PCM, Opus packets,
 *   concealment), and their open/close messages, leave as one writev at the end of the
 *   turn (setImmediate), in the order they were made.
 * - The process starts with the first channel and ends `idleMs` after the last one closed.
 * - Death: an unexpected exit (crash, kill, a stall the channels noticed, bytes that make
 *   no sense) starts a new process at once and every open channel replays into it (see
 *   hosted-aac-encoder.ts): the streams go on. More than `maxRestarts` deaths within
 *   `restartWindowMs` give the host up: its channels end (their owners see the encoder
 *   close, as with a dead ffmpeg child) and `usable` turns false, so new encoders are
 *   ffmpeg children again (createAacEncoder).
 */
import { TypedEmitter } from '../util/typed-emitter';
import { FfmpegAacEncoder, VO_AACENC_MAX_KBPS, aacBitrateKbps, type AacEncoder, type AacEncoderLibrary } from './aac-encoder';
import { FromHost, HostMessageReader, HostProtocolError, type HostMessage } from './aac-host-protocol';
import { SupervisedProcess } from './child-process';
import { HostedAacEncoder, type ChannelHost } from './hosted-aac-encoder';

export interface AacEncoderHostOptions {
  /** build/aac-host. */
  executable: string;
  /**
   * The encoder of its channels (aac_encoder). Default VisualOn's, which sends each frame
   * 448 samples (9.3 ms) sooner than ffmpeg's; above its 320 kbit/s a channel runs ffmpeg's.
   */
  library?: AacEncoderLibrary;
  /** The process ends this long after its last channel closed. Default 30 s. */
  idleMs?: number;
  /** Deaths tolerated within restartWindowMs; one more gives the host up. Default 3 in 60 s. */
  maxRestarts?: number;
  restartWindowMs?: number;
  /** A channel owed frames that hears nothing for this long restarts the process. Default 3 s. */
  stallMs?: number;
}

export type AacEncoderHostEvents = {
  /** The process died with channels open and a new one took them over. */
  restarted: [reason: string, channels: number];
  /** Once: too many deaths; the host is given up (`usable` is false from now on). */
  failed: [reason: string];
};

export class AacEncoderHost extends TypedEmitter<AacEncoderHostEvents> implements ChannelHost {
  private readonly opts: Required<AacEncoderHostOptions>;
  private proc: SupervisedProcess | undefined;
  private reader = new HostMessageReader();
  private readonly channels = new Map<number, HostedAacEncoder>();
  private readonly dirty = new Set<HostedAacEncoder>();
  private outgoing: Buffer[] = [];
  private flushAtTurnEnd: NodeJS.Immediate | undefined;
  private idleTimer: NodeJS.Timeout | undefined;
  private deaths: number[] = [];
  private restartCount = 0;
  private spawnCount = 0;
  private failedReason: string | undefined;
  private closeReason: string | undefined;
  /** Processes told to end (idle, close) and not yet reaped. */
  private readonly ending = new Set<SupervisedProcess>();

  constructor(opts: AacEncoderHostOptions) {
    super();
    this.opts = { library: 'vo-aacenc', idleMs: 30_000, maxRestarts: 3, restartWindowMs: 60_000, stallMs: 3000, ...opts };
  }

  /** False once closed or given up: new encoders must be ffmpeg children then. */
  get usable(): boolean {
    return this.closeReason === undefined && this.failedReason === undefined;
  }

  get closed(): boolean {
    return this.closeReason !== undefined;
  }

  /** The encoder its channels run, where their bit rate allows (see `encoder`). */
  get library(): AacEncoderLibrary {
    return this.opts.library;
  }

  get stallMs(): number {
    return this.opts.stallMs;
  }

  /** The running process's pid, if one runs. */
  get pid(): number | undefined {
    return this.proc?.pid;
  }

  get stats(): { channels: number; spawns: number; restarts: number; failed: boolean } {
    return { channels: this.channels.size, spawns: this.spawnCount, restarts: this.restartCount, failed: this.failedReason !== undefined };
  }

  /** A new channel. Throws when the host is not usable (see createAacEncoder for the fallback). */
  encoder(bitrateKbps?: number): HostedAacEncoder {
    if (this.closeReason !== undefined) throw new Error(`the AAC encoder host is closed (${this.closeReason})`);
    if (this.failedReason !== undefined) throw new Error(`the AAC encoder host was given up (${this.failedReason})`);
    const kbps = aacBitrateKbps(bitrateKbps);
    const library = this.opts.library === 'vo-aacenc' && kbps > VO_AACENC_MAX_KBPS ? 'ffmpeg' : this.opts.library;
    let channel = 0;
    while (this.channels.has(channel)) channel++;
    const encoder = new HostedAacEncoder(this, channel, kbps, library);
    this.channels.set(channel, encoder);
    if (this.idleTimer !== undefined) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    return encoder;
  }

  send(messages: Buffer[]): void {
    if (this.closeReason !== undefined) return;
    for (const m of messages) this.outgoing.push(m);
    this.scheduleFlush();
  }

  wantsFlush(channel: HostedAacEncoder): void {
    if (this.closeReason !== undefined) return;
    this.dirty.add(channel);
    this.scheduleFlush();
  }

  release(channel: HostedAacEncoder): void {
    if (this.channels.get(channel.channel) === channel) this.channels.delete(channel.channel);
    this.dirty.delete(channel);
    if (this.channels.size === 0 && this.proc !== undefined && this.closeReason === undefined) this.armIdle();
  }

  restart(reason: string): void {
    const proc = this.proc;
    if (proc === undefined) return;
    proc.kill('SIGKILL');
    // Its exit comes later; until then nothing more is written to it.
    this.lose(proc, `${reason}; killed`);
  }

  /**
   * Ends every channel left (their owners normally closed them first) and the process,
   * which drains what it holds. Resolves when it is reaped. Idempotent.
   */
  async close(reason: string): Promise<void> {
    if (this.closeReason === undefined) {
      this.closeReason = reason;
      if (this.idleTimer !== undefined) clearTimeout(this.idleTimer);
      this.idleTimer = undefined;
      // What the turn queued (close messages of channels) still goes to a running process.
      if (this.proc !== undefined) this.flush();
      else {
        if (this.flushAtTurnEnd !== undefined) clearImmediate(this.flushAtTurnEnd);
        this.flushAtTurnEnd = undefined;
        this.outgoing = [];
      }
      for (const channel of [...this.channels.values()]) channel.onHostLost(reason, false);
      if (this.proc !== undefined) this.endProcess(this.proc, reason);
    }
    await Promise.all([...this.ending].map((p) => p.closed));
  }

  private scheduleFlush(): void {
    if (this.flushAtTurnEnd === undefined) this.flushAtTurnEnd = setImmediate(() => this.flush());
  }

  private flush(): void {
    if (this.flushAtTurnEnd !== undefined) clearImmediate(this.flushAtTurnEnd);
    this.flushAtTurnEnd = undefined;
    for (const channel of this.dirty) {
      const message = channel.takeMessage();
      if (message !== undefined) for (const m of message) this.outgoing.push(m);
    }
    this.dirty.clear();
    if (this.outgoing.length === 0) return;
    const proc = this.proc ?? this.spawn();
    const out = this.outgoing;
    this.outgoing = [];
    proc.writev(out);
  }

  private spawn(): SupervisedProcess {
    const proc = new SupervisedProcess({
      name: 'aac-host',
      command: this.opts.executable,
      args: [],
      // Far above a healthy backlog: a host that falls behind is caught by its channels
      // (stallMs) and restarted, never made to drop part of the stream of messages.
      maxBufferedBytes: 256 * 1024 * 1024,
    });
    this.spawnCount++;
    this.proc = proc;
    this.reader = new HostMessageReader();
    proc.on('stdout', (data) => {
      if (proc === this.proc) this.onOutput(proc, data);
    });
    proc.on('close', (reason, info) => {
      this.ending.delete(proc);
      if (proc === this.proc && info.requested === undefined) this.lose(proc, reason);
    });
    return proc;
  }

  private onOutput(proc: SupervisedProcess, data: Buffer): void {
    let messages: HostMessage[];
    try {
      messages = this.reader.push(data);
    } catch (err) {
      if (!(err instanceof HostProtocolError)) throw err;
      this.restart(err.message);
      return;
    }
    for (const m of messages) {
      // A channel's own message handling may end the process (a stall): stop reading it.
      if (proc !== this.proc) return;
      const channel = this.channels.get(m.channel);
      if (channel === undefined) continue;
      if (m.type === FromHost.Frame) channel.onFrame(m.payload);
      else if (m.type === FromHost.Closed) channel.onClosed();
      else channel.onError(m.payload.toString('utf8'));
    }
  }

  /** `proc` is dead or being killed, not by our wish: a new one takes the open channels over. */
  private lose(proc: SupervisedProcess, reason: string): void {
    if (proc !== this.proc) return;
    this.proc = undefined;
    this.ending.add(proc);
    if (proc.isClosed) this.ending.delete(proc);
    // What was queued for the dead process is rebuilt below, from the channels.
    this.outgoing = [];
    if (this.channels.size === 0) return;
    const now = Date.now();
    this.deaths = this.deaths.filter((t) => now - t < this.opts.restartWindowMs);
    this.deaths.push(now);
    const restarting = this.deaths.length <= this.opts.maxRestarts && this.closeReason === undefined;
    if (!restarting && this.failedReason === undefined && this.closeReason === undefined) {
      this.failedReason = `${this.deaths.length} deaths within ${Math.round(this.opts.restartWindowMs / 1000)} s, the last: ${reason}`;
    }
    let open = 0;
    for (const channel of [...this.channels.values()]) {
      const messages = channel.onHostLost(reason, restarting);
      if (messages === undefined) continue;
      open++;
      for (const m of messages) this.outgoing.push(m);
    }
    if (restarting) {
      this.restartCount++;
      if (open > 0) this.scheduleFlush();
      this.emit('restarted', reason, open);
    } else if (this.failedReason !== undefined && this.closeReason === undefined) {
      this.emit('failed', this.failedReason);
    }
  }

  private endProcess(proc: SupervisedProcess, reason: string): void {
    if (this.proc === proc) this.proc = undefined;
    if (proc.isClosed) return;
    this.ending.add(proc);
    void proc.close(reason);
  }

  private armIdle(): void {
    if (this.idleTimer !== undefined) clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => {
      this.idleTimer = undefined;
      if (this.channels.size === 0 && this.proc !== undefined) this.endProcess(this.proc, 'no stream left to encode');
    }, this.opts.idleMs);
  }
}

export interface CreateAacEncoderOptions {
  /** The shared host; absent or not usable: an ffmpeg child of its own. */
  host?: AacEncoderHost;
  ffmpegPath?: string;
  bitrateKbps?: number;
}

/** A channel of the host when there is a usable one, else an ffmpeg child. */
export function createAacEncoder(opts: CreateAacEncoderOptions): AacEncoder {
  if (opts.host?.usable === true) return opts.host.encoder(opts.bitrateKbps);
  return new FfmpegAacEncoder({ ffmpegPath: opts.ffmpegPath, bitrateKbps: opts.bitrateKbps });
}
