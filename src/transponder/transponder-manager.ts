/**
 * All transponders of the service: creates them from /push/startup, auto start and
 * publishStream.rtmpUrl; finds, changes and ends them. Implements TransponderApi,
 * so the REST layer only validates and maps errors.
 */
import { randomUUID } from 'node:crypto';
import dns from 'node:dns/promises';
import type { AacEncoderHost } from '../ffmpeg/aac-encoder-host';
import type { Logger } from '../log';
import { parseRtmpUrl, redactRtmpUrl, RtmpUrlError, type RtmpNaming, type RtmpTarget } from '../rtmp/rtmp-url';
import { DestinationRefusedError, type DestinationResolver } from '../rtmp/destination';
import type { RestoreRule } from './restore-policy';
import type { OutputBufferOptions } from './output-buffer';
import { SoundLibrary } from './sound-files';
import { TranscodeParamsError, transcodeForSource, transcodeParams } from './transcode-params';
import type { LatencyProbe } from './latency-probe';
import { Transponder, type TransponderSource } from './transponder';
import { SharedAudioRegistry } from './shared-audio';
import { TypedEmitter } from '../util/typed-emitter';
import {
  TransponderError,
  type StartupRequest,
  type TransponderApi,
  type TransponderErrorCode,
  type TransponderFilter,
  type TransponderInfo,
} from './transponder-api';

export interface TransponderManagerOptions {
  streamNamePrefix: string;
  fullUrl: boolean;
  flashVersion?: string;
  sendMetadata: boolean;
  localAddress?: string;
  restore: RestoreRule;
  outputBuffer: OutputBufferOptions;
  ffmpegPath?: string;
  /** The AAC encoder process every stream's audio shares (aac_encoder_host); absent: an ffmpeg child per stream. */
  aacHost?: AacEncoderHost;
  mediaDir: string;
  /** rtmp_push_auto_start / rtmp_push_auto_start_url: every new stream is relayed to each. */
  autoStartUrls?: readonly string[];
  /** How long an ended transponder stays visible in find/find_all. */
  keepEndedMs: number;
  maxTransponders: number;
  /** For rtmps:// pushes: CAs trusted besides the built-in ones; rejectUnauthorized false skips verification (warned at each push). */
  tls?: { ca?: string | Buffer; rejectUnauthorized?: boolean };
  /**
   * The destination guard: judges a destination after DNS resolution, at startup and at
   * every (re)connect of every transponder. Absent: hosts are only resolved (tests that
   * do not test the guard).
   */
  resolve?: DestinationResolver;
  /** Measuring seam (the relay benchmark): a latency probe for a new transponder. Never set by the product. */
  latencyProbe?: (mediaSessionId: string) => LatencyProbe | undefined;
  /** Told of each new transponder before it starts, so its every state can be followed (REST hooks). */
  onTransponder?: (transponder: Transponder, relay: { streamName: string; rtmpUrl: string }) => void;
}

/** What the manager needs of the published streams: the StreamRegistry, or a fake in tests. */
export interface StreamDirectory {
  get(name: string): TransponderSource | undefined;
  on(event: 'publish', listener: (source: TransponderSource, info: { rtmpUrl?: string }) => void): unknown;
}

/** What the manager tells observers (metrics): counts that must outlive the transponders. */
export type TransponderManagerEvents = {
  /** A transponder was created and started. */
  started: [TransponderInfo];
  /** A transponder reached TERMINATED or FAILED; once per transponder. */
  ended: [TransponderInfo];
  /** A startup was refused with this code (REST, publishStream.rtmpUrl or auto start), and the destination guard's rule when it refused. */
  refused: [code: TransponderErrorCode, rule?: string];
};

interface Entry {
  transponder: Transponder;
  endReported?: boolean;
  sourceStreamName: string;
  rtmpUrl: string;
  options: Record<string, unknown>;
  createdAt: number;
  pruneTimer?: NodeJS.Timeout;
}

function reservationKey(streamName: string, rtmpUrl: string): string {
  return `${streamName}\u0000${rtmpUrl}`;
}

/** What a settings reload may change: everything but the measuring seams. */
export type TransponderManagerLiveOptions = Omit<TransponderManagerOptions, 'resolve' | 'latencyProbe' | 'onTransponder' | 'aacHost'>;

export class TransponderManager extends TypedEmitter<TransponderManagerEvents> implements TransponderApi {
  private readonly entries = new Map<string, Entry>();
  /** (stream, url) keys of startups between their checks and their entry. */
  private readonly reserved = new Set<string>();
  private sounds: SoundLibrary;
  private opts: TransponderManagerOptions;
  private closed = false;
  /** One AAC encoder per stream for the transponders whose audio is untouched. */
  private readonly sharedAudio = new SharedAudioRegistry(() => ({ ffmpegPath: this.opts.ffmpegPath, aacHost: this.opts.aacHost, silentIfNoAudio: true, fillWhenSourceStops: true }));

  constructor(
    private readonly registry: StreamDirectory,
    opts: TransponderManagerOptions,
    private readonly log: Logger,
  ) {
    super((event, error) => log.error('transponder manager listener threw', { event, error: String(error) }));
    this.opts = opts;
    this.sounds = new SoundLibrary(opts.mediaDir);
    registry.on('publish', (publisher, info) => {
      // Each destination its own startup: one refused never stops the others.
      const urls = [info.rtmpUrl, ...(this.opts.autoStartUrls ?? [])].filter((u): u is string => typeof u === 'string' && u !== '');
      for (const rtmpUrl of new Set(urls)) {
        this.startup({ streamName: publisher.streamName, rtmpUrl }).catch((err: Error) =>
          this.log.warn('automatic transponder not started', { stream: publisher.streamName, url: redactRtmpUrl(rtmpUrl), error: err.message }),
        );
      }
    });
  }

  /**
   * New options (settings reload) for what starts from now on: startups, auto start,
   * the limit, and the restore policy of losses that begin after this call. Running
   * transponders keep their connection, pipeline and output buffer.
   */
  update(next: TransponderManagerLiveOptions): void {
    if (next.mediaDir !== this.opts.mediaDir) this.sounds = new SoundLibrary(next.mediaDir);
    this.opts = { ...next, resolve: this.opts.resolve, latencyProbe: this.opts.latencyProbe, onTransponder: this.opts.onTransponder, aacHost: this.opts.aacHost };
  }

  async startup(req: StartupRequest): Promise<TransponderInfo> {
    // tryStartup runs synchronously up to its first await, so its reservations stay race-free.
    try {
      return await this.tryStartup(req);
    } catch (err) {
      if (err instanceof TransponderError) this.emit('refused', err.code, err.rule);
      throw err;
    }
  }

  private async tryStartup(req: StartupRequest): Promise<TransponderInfo> {
    if (this.closed) throw new TransponderError('SERVICE_STOPPING', 'The service is stopping: no new transponders');
    const naming: RtmpNaming = {
      fullUrl: req.rtmpTransponderFullUrl ?? this.opts.fullUrl,
      streamName: req.streamName,
      prefix: this.opts.streamNamePrefix,
    };
    let target: RtmpTarget;
    try {
      target = parseRtmpUrl(req.rtmpUrl, naming);
    } catch (err) {
      if (err instanceof RtmpUrlError) throw new TransponderError('INVALID_RTMP_URL', err.message, 'rtmpUrl');
      throw err;
    }
    const transcode = this.transcodeOf(req);
    if (!this.registry.get(req.streamName)) {
      throw new TransponderError('STREAM_NOT_FOUND', `Stream not found: no stream named "${req.streamName}" is published`, 'streamName');
    }
    // The key and the slot are taken before the first await, so requests racing each
    // other see them (three parallel startups to one YouTube key are a broken broadcast).
    const key = reservationKey(req.streamName, req.rtmpUrl);
    if (this.reserved.has(key) || this.active().some((e) => reservationKey(e.sourceStreamName, e.rtmpUrl) === key)) {
      throw new TransponderError('TRANSPONDER_EXISTS', `A transponder of "${req.streamName}" to this rtmpUrl already exists`);
    }
    if (this.active().length + this.reserved.size >= this.opts.maxTransponders) {
      throw new TransponderError('LIMIT_REACHED', `At most ${this.opts.maxTransponders} transponders may run at once`);
    }
    this.reserved.add(key);
    try {
      await this.checkDestination(target);
      const sound = req.options?.action === 'sound_on' ? await this.sounds.load(req.options.soundFile) : undefined;
      if (this.closed) throw new TransponderError('SERVICE_STOPPING', 'The service is stopping: no new transponders');
      const publisher = this.registry.get(req.streamName);
      if (!publisher || publisher.closed) throw new TransponderError('STREAM_NOT_FOUND', `Stream not found: "${req.streamName}" ended`, 'streamName');
      return this.create(req, naming, transcode, publisher, sound);
    } finally {
      this.reserved.delete(key);
    }
  }

  /** Synchronous from the reservation to the entry: nothing can slip in between. */
  private create(
    req: StartupRequest,
    naming: RtmpNaming,
    transcode: ReturnType<typeof transcodeParams>,
    publisher: TransponderSource,
    sound: Int16Array | undefined,
  ): TransponderInfo {
    const mediaSessionId = randomUUID();
    const transponder = new Transponder({
      mediaSessionId,
      source: publisher,
      rtmpUrl: req.rtmpUrl,
      naming,
      flashVersion: req.rtmpFlashVersion || this.opts.flashVersion,
      sendMetadata: this.opts.sendMetadata,
      localAddress: this.opts.localAddress,
      tls: this.opts.tls,
      resolve: this.opts.resolve,
      // Asked at each loss, so a reloaded policy governs the losses that begin after it.
      restore: () => this.opts.restore,
      outputBuffer: this.opts.outputBuffer,
      transcode: transcodeForSource(transcode, publisher.videoCodec?.()),
      ffmpegPath: this.opts.ffmpegPath,
      streamAudio: this.sharedAudio.of(publisher),
      probe: this.opts.latencyProbe?.(mediaSessionId),
      log: this.log,
    });
    if (req.options?.action === 'mute') transponder.mute();
    if (sound && req.options?.action === 'sound_on') transponder.soundOn(sound, req.options.loop);
    if (this.opts.tls?.rejectUnauthorized === false && /^rtmps:/i.test(req.rtmpUrl)) {
      this.log.warn('rtmps certificate NOT verified (rtmp_push_tls_verify=false): anyone on the path can read this stream', {
        mediaSessionId,
        url: redactRtmpUrl(req.rtmpUrl),
      });
    }
    const entry: Entry = {
      transponder,
      sourceStreamName: req.streamName,
      rtmpUrl: req.rtmpUrl,
      options: { ...(req.options ?? {}) },
      createdAt: Date.now(),
    };
    this.entries.set(mediaSessionId, entry);
    transponder.on('state', () => {
      if (!transponder.ended) return;
      this.onEnded(mediaSessionId, entry);
      if (!entry.endReported) {
        entry.endReported = true;
        this.emit('ended', this.infoOf(mediaSessionId, entry));
      }
    });
    this.opts.onTransponder?.(transponder, { streamName: req.streamName, rtmpUrl: req.rtmpUrl });
    // Told before start(), which may end it at once: observers see started, then ended.
    this.emit('started', this.infoOf(mediaSessionId, entry));
    transponder.start();
    return this.infoOf(mediaSessionId, entry);
  }

  find(filter: TransponderFilter): TransponderInfo[] {
    return [...this.entries.entries()]
      .filter(([, e]) => {
        if (filter.rtmpUrl !== undefined && e.rtmpUrl !== filter.rtmpUrl) return false;
        if (filter.streamName === undefined) return true;
        return e.sourceStreamName === filter.streamName || e.transponder.push.publishedName === filter.streamName;
      })
      .map(([id, e]) => this.infoOf(id, e));
  }

  findAll(): TransponderInfo[] {
    return this.find({});
  }

  async terminate(mediaSessionId: string): Promise<void> {
    const entry = this.entryOf(mediaSessionId);
    // The state is TERMINATED when close() returns; the release goes on in the background
    // (ffmpeg's grace periods), owned by this manager until it drains.
    void entry.transponder.close('terminated through the REST API');
  }

  mute(mediaSessionId: string): void {
    this.activeEntry(mediaSessionId).transponder.mute();
  }

  unmute(mediaSessionId: string): void {
    this.activeEntry(mediaSessionId).transponder.unmute();
  }

  async soundOn(mediaSessionId: string, soundFile: string, loop: boolean): Promise<void> {
    const entry = this.activeEntry(mediaSessionId);
    const pcm = await this.sounds.load(soundFile);
    entry.transponder.soundOn(pcm, loop);
  }

  soundOff(mediaSessionId: string): void {
    this.activeEntry(mediaSessionId).transponder.soundOff();
  }

  /** Ends every transponder (and its ffmpeg children) and waits until all are released. */
  async close(): Promise<void> {
    this.closed = true;
    const all = [...this.entries.values()];
    for (const e of all) void e.transponder.close('the service is stopping');
    await Promise.allSettled(all.map((e) => e.transponder.drained));
    for (const e of all) if (e.pruneTimer) clearTimeout(e.pruneTimer);
    this.entries.clear();
  }

  private transcodeOf(req: StartupRequest): ReturnType<typeof transcodeParams> {
    const { width, height, fps, bitrate, keyFrameInterval } = req;
    try {
      return transcodeParams({ width, height, fps, bitrate, keyFrameInterval });
    } catch (err) {
      if (err instanceof TranscodeParamsError) throw new TransponderError('INVALID_PARAMETER', err.message, err.field);
      throw err;
    }
  }

  /**
   * The destination guard's verdict before anything is created (it judges again at each
   * connect). A refusal names the rule, never the address the host resolved to; that
   * goes to the log.
   */
  private async checkDestination(target: RtmpTarget): Promise<void> {
    const resolve = this.opts.resolve ?? resolveOnly;
    try {
      await resolve({ scheme: target.scheme, host: target.host, port: target.port });
    } catch (err) {
      if (err instanceof DestinationRefusedError) {
        this.log.warn('destination refused', { host: target.host, port: target.port, rule: err.rule, detail: err.detail });
        throw new TransponderError('DESTINATION_REFUSED', `rtmpUrl ${err.message}`, 'rtmpUrl', err.rule);
      }
      throw new TransponderError('RTMP_HOST_NOT_FOUND', `rtmpUrl host "${target.host}" cannot be resolved in DNS`, 'rtmpUrl');
    }
  }

  private active(): Entry[] {
    return [...this.entries.values()].filter((e) => !e.transponder.ended);
  }

  private entryOf(mediaSessionId: string): Entry {
    const entry = typeof mediaSessionId === 'string' ? this.entries.get(mediaSessionId) : undefined;
    if (!entry) throw new TransponderError('TRANSPONDER_NOT_FOUND', `Transponder not found: ${String(mediaSessionId)}`, 'mediaSessionId');
    return entry;
  }

  /** A transponder that can still be changed; an ended one is refused with its state. */
  private activeEntry(mediaSessionId: string): Entry {
    const entry = this.entryOf(mediaSessionId);
    const t = entry.transponder;
    if (t.ended) {
      throw new TransponderError('TRANSPONDER_ENDED', `Transponder ${mediaSessionId} has ended (${t.state})`, 'mediaSessionId');
    }
    return entry;
  }

  /** An ended transponder stays visible for keepEndedMs; its release is awaited by close(). */
  private onEnded(id: string, entry: Entry): void {
    if (entry.pruneTimer || this.closed) return;
    entry.pruneTimer = setTimeout(() => {
      if (this.entries.get(id) === entry) this.entries.delete(id);
    }, this.opts.keepEndedMs);
    entry.pruneTimer.unref();
  }

  private infoOf(id: string, e: Entry): TransponderInfo {
    const s = e.transponder.snapshot();
    const info: TransponderInfo = {
      mediaSessionId: id,
      streamName: s.publishedName,
      sourceStreamName: e.sourceStreamName,
      rtmpUrl: e.rtmpUrl,
      width: s.width,
      height: s.height,
      muted: s.muted,
      soundEnabled: s.soundEnabled,
      options: e.options,
      status: s.state,
      transcoding: s.transcoding,
      stats: s.stats,
      createdAt: e.createdAt,
    };
    if (s.state !== 'PUBLISHING') info.reason = s.reason;
    return info;
  }
}

/** Without a guard: the host is only resolved (a literal address is its own answer). */
const resolveOnly: DestinationResolver = async ({ host }) => (await dns.lookup(host)).address;
