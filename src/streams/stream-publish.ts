/**
 * One publish of one stream name, whichever signaling brought it (the WCS WebSocket or
 * WHIP): the name held from the request on, the Publisher (werift peer connection, codec
 * choice) created from the offer, the stream registered once its media flows — which
 * fires the registry's 'publish' event, so auto start and the request's rtmpUrl relay —
 * and everything released when it ends. The signaling paths only differ in their
 * envelope: how the offer comes in, how the answer and the states go out.
 */
import type { Logger } from '../log';
import { parseRtmpUrl } from '../rtmp/rtmp-url';
import { TypedEmitter } from '../util/typed-emitter';
import type { PublisherHandle } from '../webrtc/publisher-host';
import type { BitrateWish, PublisherOptions } from '../webrtc/publisher-options';
import { parseSdp, SdpError } from '../webrtc/sdp-offer';
import type { StreamEventState } from './stream-event-state';
import type { PublishInfo, StreamRegistry } from './stream-registry';

/** Why a publish did not go on: the signaling path turns each into its own answer. */
export type PublishRefusalCode =
  /** the name is published or being set up, by either signaling path, on this node or (cluster) another */
  | 'NAME_IN_USE'
  /** the cluster's directory cannot be reached, so nobody can tell whether the name is free: refused */
  | 'CLUSTER_UNAVAILABLE'
  /** the request's rtmpUrl breaks the URL rules of /push/startup */
  | 'BAD_RTMP_URL'
  /** the offer is not SDP */
  | 'BAD_SDP'
  /** the offer is SDP but has nothing we receive (no H.264 packetization-mode=1, VP8 or VP9 / Opus; or VP8/VP9 only while transcoding is disabled) */
  | 'NO_CODEC'
  /** the publish was ended while its answer was being made */
  | 'ENDED'
  /** our own failure (werift refused the offer, no socket, ...) */
  | 'SETUP_FAILED';

export class PublishRefused extends Error {
  /** @param info the WCS status info for this refusal, when WCS has one (SdpError.info) */
  constructor(readonly code: PublishRefusalCode, message: string, readonly info?: string) {
    super(message);
    this.name = 'PublishRefused';
  }
}

export interface StreamPublishRequest {
  name: string;
  /** relay here once publishing (validated as /push/startup validates it); may hold a key: never logged unmasked */
  rtmpUrl?: string;
  offerSdp: string;
  bitrate: BitrateWish;
  record: boolean;
  /** the signaling session (WCS session id, or the WHIP session id) */
  sessionId: string;
  mediaSessionId: string;
}

export interface StreamPublishParts {
  registry: StreamRegistry;
  webrtc: PublisherOptions;
  log: Logger;
}

export type StreamPublishEvents = {
  /** media flows and the stream is registered under its name */
  publishing: [];
  /** ended, for the reason given (the publisher's, or the owner's close) */
  close: [string];
};

type PublishState = 'reserved' | 'answering' | 'answered' | 'publishing' | 'closed';

export class StreamPublish extends TypedEmitter<StreamPublishEvents> {
  readonly info: PublishInfo;
  private state: PublishState = 'reserved';
  private holdsName = true;
  /** The cluster-wide claim of the name is held (released with the publish). */
  private holdsClaim = false;
  private publisherValue: PublisherHandle | undefined;
  private drain: Promise<void> = Promise.resolve();
  /** Settles the drain of a close that came while the answer was being made. */
  private settleLateDrain: (() => void) | undefined;
  private closeReasonValue: string | undefined;

  private constructor(private readonly parts: StreamPublishParts, private readonly request: StreamPublishRequest, private readonly events: StreamEventState) {
    super((event, error) => parts.log.error('stream publish listener threw', { stream: request.name, event, error: String(error) }));
    this.info = {
      streamName: request.name,
      mediaSessionId: request.mediaSessionId,
      sessionId: request.sessionId,
      rtmpUrl: request.rtmpUrl,
      bitrate: request.bitrate,
      record: request.record,
    };
  }

  /**
   * Checks the request's rtmpUrl and holds its name, synchronously (before any await of
   * the caller), so two publishes of one name cannot both go on. Throws PublishRefused
   * (BAD_RTMP_URL, NAME_IN_USE). `events` is the stream's mute state and events, closed
   * with the publish.
   */
  static reserve(parts: StreamPublishParts, request: StreamPublishRequest, events: StreamEventState): StreamPublish {
    if (request.rtmpUrl !== undefined) {
      // The same rules as /push/startup; the error names the problem, never the key.
      try {
        parseRtmpUrl(request.rtmpUrl, { fullUrl: false, streamName: request.name || 'stream' });
      } catch (err) {
        throw new PublishRefused('BAD_RTMP_URL', (err as Error).message);
      }
    }
    if (!parts.registry.reserve(request.name)) throw new PublishRefused('NAME_IN_USE', `Stream name ${request.name} is already in use`);
    return new StreamPublish(parts, request, events);
  }

  get closed(): boolean {
    return this.state === 'closed';
  }

  get closeReason(): string | undefined {
    return this.closeReasonValue;
  }

  /** Set once answer() resolved. */
  get publisher(): PublisherHandle | undefined {
    return this.publisherValue;
  }

  /**
   * Creates the peer connection from the offer and resolves with the answer SDP (every
   * candidate gathered). Rejects with PublishRefused: BAD_SDP, NO_CODEC, SETUP_FAILED
   * (the publish is then closed, its name free), or ENDED when close() came meanwhile.
   */
  async answer(): Promise<string> {
    if (this.state !== 'reserved') throw new PublishRefused('ENDED', `publish of ${this.request.name} is ${this.state}`);
    this.state = 'answering';
    try {
      parseSdp(this.request.offerSdp);
    } catch (error) {
      this.close(`bad SDP: ${(error as Error).message}`);
      this.settleLateDrain?.();
      throw new PublishRefused('BAD_SDP', (error as Error).message);
    }
    await this.claimName();
    let publisher: PublisherHandle;
    try {
      publisher = await this.parts.registry.publisherHost.create({ streamName: this.request.name, offerSdp: this.request.offerSdp, options: this.parts.webrtc, bitrate: this.request.bitrate, log: this.parts.log });
    } catch (error) {
      // The offer parsed, so an SdpError here is the codec choice.
      const refusal = error instanceof SdpError ? new PublishRefused('NO_CODEC', error.message, error.info) : new PublishRefused('SETUP_FAILED', String(error));
      if (!this.closed) this.close(`publisher setup failed: ${refusal.message}`);
      this.settleLateDrain?.();
      throw refusal;
    }
    if (this.closed) {
      // ended (unpublished, session gone) while werift was answering
      const settle = this.settleLateDrain;
      void publisher.close(this.closeReasonValue ?? 'ended during setup').finally(() => settle?.());
      throw new PublishRefused('ENDED', `publish of ${this.request.name} ended during setup`);
    }
    this.publisherValue = publisher;
    this.state = 'answered';
    publisher.once('flowing', () => this.onFlowing(publisher));
    publisher.once('close', (reason) => this.close(reason));
    return publisher.answerSdp;
  }

  /**
   * The cluster-wide claim (when the registry has one), before any peer connection: a
   * name another node publishes is NAME_IN_USE; a directory that cannot be reached refuses
   * the publish (README, "Running several nodes": refuse rather than risk two owners).
   */
  private async claimName(): Promise<void> {
    const claims = this.parts.registry.nameClaims;
    if (claims === undefined) return;
    const answer = await claims.claim(this.request.name);
    if (answer === 'claimed') this.holdsClaim = true;
    if (this.closed) {
      if (this.holdsClaim) claims.release(this.request.name);
      this.holdsClaim = false;
      this.settleLateDrain?.();
      throw new PublishRefused('ENDED', `publish of ${this.request.name} ended during setup`);
    }
    if (answer === 'claimed') return;
    const refusal =
      answer === 'taken'
        ? new PublishRefused('NAME_IN_USE', `Stream name ${this.request.name} is already in use`)
        : new PublishRefused('CLUSTER_UNAVAILABLE', 'The cluster directory (Redis) is unavailable: new publishes are refused until it is back');
    this.close(`not claimed: ${refusal.message}`);
    this.settleLateDrain?.();
    throw refusal;
  }

  private onFlowing(publisher: PublisherHandle): void {
    if (this.closed) return;
    this.holdsName = false;
    try {
      this.parts.registry.add(publisher, this.info, this.events);
    } catch (error) {
      this.close(`not registered: ${String(error)}`);
      return;
    }
    this.state = 'publishing';
    this.emit('publishing');
  }

  /**
   * Ends the publish at once (the name is free when this returns), then releases the
   * peer connection; the promise settles when it is released. Idempotent.
   */
  close(reason: string): Promise<void> {
    if (this.state === 'closed') return this.drain;
    const wasAnswering = this.state === 'answering';
    this.state = 'closed';
    this.closeReasonValue = reason;
    if (this.holdsName) this.parts.registry.release(this.request.name);
    this.holdsName = false;
    if (this.holdsClaim) this.parts.registry.nameClaims?.release(this.request.name);
    this.holdsClaim = false;
    this.events.close();
    if (this.publisherValue) this.drain = this.publisherValue.close(reason);
    else if (wasAnswering) this.drain = new Promise((resolve) => (this.settleLateDrain = resolve));
    this.emit('close', reason);
    this.removeAllListeners();
    return this.drain;
  }
}
