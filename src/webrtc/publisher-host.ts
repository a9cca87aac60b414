/**
 * Where the receive side of a publisher runs. The rest of the service (the registry, the
 * transponders, players, the signaling paths) holds a `PublisherHandle`: exactly what it
 * uses of a Publisher, so the real Publisher can run on the main thread (the in-process
 * host, the default) or in a worker thread behind a proxy (src/webrtc/worker/).
 */
import type { Logger } from '../log';
import type { VideoCodec } from '../media/frames';
import { Publisher, type PublisherEvents, type PublisherState, type PublisherStats, type RtpTap } from './publisher';
import type { BitrateWish, PublisherOptions } from './publisher-options';
import type { OfferChoice } from './sdp-offer';

type Listener<A extends unknown[]> = (...args: A) => void;

/** What callers use of a publisher, wherever its media is received. */
export interface PublisherHandle {
  readonly streamName: string;
  /** the SDP answer for the browser, ready once `create` resolved */
  readonly answerSdp: string;
  readonly closed: boolean;
  readonly state: PublisherState;
  /** the codecs players can receive as forwarded RTP (H.264 and Opus) */
  readonly codecs: OfferChoice;
  /** Resolves when the peer connection is released (its sockets closed). */
  readonly drained: Promise<void>;
  videoCodec(): VideoCodec | undefined;
  hasAudio(): boolean;
  hasVideo(): boolean;
  requestKeyframe(opts?: { urgent?: boolean }): void;
  /** Raw RTP and sender reports for players; returns the removal. */
  addRtpTap(tap: RtpTap): () => void;
  toJSON(): PublisherStats;
  /** Closed at once (state 'closed', 'close' emitted); resolves with the release. */
  close(reason: string): Promise<void>;
  on<K extends keyof PublisherEvents>(event: K, listener: Listener<PublisherEvents[K]>): this;
  once<K extends keyof PublisherEvents>(event: K, listener: Listener<PublisherEvents[K]>): this;
  off<K extends keyof PublisherEvents>(event: K, listener: Listener<PublisherEvents[K]>): this;
}

export interface PublisherHostCreateArgs {
  streamName: string;
  offerSdp: string;
  options: PublisherOptions;
  bitrate?: BitrateWish;
  /** the publish's logger: the publisher's lines carry its fields, wherever it runs */
  log: Logger;
}

/**
 * Makes publishers from offers. Rejects as Publisher.create does: an SdpError (message
 * fit for the user) for an offer it cannot take, any other error for its own failure.
 */
export interface PublisherHost {
  create(args: PublisherHostCreateArgs): Promise<PublisherHandle>;
}

/** Publishers on the main thread, as before worker threads existed (media_workers=0). */
export const inProcessPublisherHost: PublisherHost = {
  create: (args) => Publisher.create(args),
};
