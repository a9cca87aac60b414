/**
 * The messages between the main thread and a media worker (one MessagePort, in order).
 * Frames cross as one ArrayBuffer each, transferred (frame-transfer.ts); everything else
 * is structured-cloned plain data. `id` names one publisher within its worker.
 */
import type { LogBindings, LogLevel } from '../../log';
import type { VideoCodec } from '../../media/frames';
import type { PublisherStats } from '../publisher';
import type { BitrateWish, PublisherOptions } from '../publisher-options';
import type { OfferChoice } from '../sdp-offer';
import type { TrackKind } from '../media-clock';
import type { EventLoopFigures } from './loop-figures';

export type ToWorker =
  | { type: 'create'; id: number; streamName: string; offerSdp: string; options: PublisherOptions; bitrate?: BitrateWish }
  | { type: 'keyframe'; id: number; urgent: boolean }
  /** players listen (true) or stopped listening (false): raw RTP is sent only while some do */
  | { type: 'tap'; id: number; on: boolean }
  | { type: 'close'; id: number; reason: string }
  /**
   * the main thread has taken every flush up to `seq` (one per turn of its event loop in
   * which flushes arrived): what the worker keeps in flight is bounded (publisher-backlog.ts)
   */
  | { type: 'ack'; seq: number };

/** What the main thread needs of a publisher that never changes after its answer. */
export interface PublisherDescription {
  answerSdp: string;
  codecs: OfferChoice;
  videoCodec?: VideoCodec;
  hasAudio: boolean;
  hasVideo: boolean;
  stats: PublisherStats;
}

/** An error that crossed the port: `sdp` for an SdpError (the offer's fault), with its WCS info. */
export interface CrossedError {
  message: string;
  sdp: boolean;
  info?: string;
}

export type FromWorker =
  /** the thread has loaded its modules (werift, ours) and warmed up: it takes publishers without delay */
  | { type: 'ready' }
  | { type: 'created'; id: number; description: PublisherDescription }
  | { type: 'createFailed'; id: number; error: CrossedError }
  | { type: 'state'; id: number; state: 'connected' | 'flowing'; stats: PublisherStats }
  /** H.264 access unit: NAL units back to back in `data`, their sizes in `sizes` */
  | { type: 'video'; id: number; pts: number; keyframe: boolean; data: ArrayBuffer; sizes: number[] }
  | { type: 'vpx'; id: number; codec: 'vp8' | 'vp9'; pts: number; keyframe: boolean; data: ArrayBuffer; width?: number; height?: number }
  | { type: 'audio'; id: number; pts: number; data: ArrayBuffer }
  /** one RTP packet as received (serialized again), for players */
  | { type: 'rtp'; id: number; kind: TrackKind; data: ArrayBuffer }
  | { type: 'senderReport'; id: number; kind: TrackKind; ntpMs: number; rtpTimestamp: number }
  /** every live publisher's figures, pushed periodically so toJSON() stays synchronous */
  | { type: 'stats'; list: Array<[number, PublisherStats]> }
  /** how busy the worker's event loop was over the last report interval (loop-figures.ts) */
  | { type: 'loop'; figures: EventLoopFigures }
  /** the publisher ended (its own reason, or the close the main thread asked for) */
  | { type: 'closed'; id: number; reason: string; stats: PublisherStats }
  /** its peer connection is released: the drain */
  | { type: 'released'; id: number }
  /**
   * the messages of one turn of the worker's event loop, in order (their buffers
   * transferred together); `seq` numbers the flushes from 1, for the main thread's `ack`
   */
  | { type: 'batch'; seq: number; messages: FromWorker[] }
  /** a log line, written by the main thread's Logger (redaction stays in one place) */
  | { type: 'log'; id?: number; level: LogLevel; msg: string; fields?: Record<string, unknown>; bindings: LogBindings };
