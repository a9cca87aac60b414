import { TypedEmitter, type ListenerErrorHandler } from '../util/typed-emitter';

/** The stream events a publisher may send (the WebSDK's STREAM_EVENT_TYPE that a publisher sends). */
export const PUBLISHER_STREAM_EVENT_TYPES = ['audioMuted', 'audioUnmuted', 'videoMuted', 'videoUnmuted', 'data'] as const;
export type PublisherStreamEventType = (typeof PUBLISHER_STREAM_EVENT_TYPES)[number];

export function isPublisherStreamEventType(type: unknown): type is PublisherStreamEventType {
  return typeof type === 'string' && (PUBLISHER_STREAM_EVENT_TYPES as readonly string[]).includes(type);
}

/** One event as the publisher sent it; `payload` is the page's own JSON value (for `data`). */
export interface StreamEvent {
  type: PublisherStreamEventType;
  payload?: unknown;
}

/** WCS's track state object, as the WebSDK's stream.getAudioState()/getVideoState() return it. */
export interface TrackState {
  muted: boolean;
}

export interface StreamEventSnapshot {
  audioState: TrackState;
  videoState: TrackState;
  /** events accepted since the publish began, by type */
  streamEvents: Record<PublisherStreamEventType, number>;
}

export type StreamEventStateEvents = {
  /** after the state changed: players forward it as notifyStreamEvent */
  event: [StreamEvent];
};

/**
 * What a publisher said about its own stream with sendStreamEvent: whether its audio and
 * video are muted (kept, for /rest-api/stream/find and players that join later) and its
 * `data` events (passed on, not kept: a payload is the page's business). One per publish;
 * it ends with the publish (`close`), and then ignores further events.
 */
export class StreamEventState extends TypedEmitter<StreamEventStateEvents> {
  private audioMuted = false;
  private videoMuted = false;
  private readonly counts: Record<PublisherStreamEventType, number> = { audioMuted: 0, audioUnmuted: 0, videoMuted: 0, videoUnmuted: 0, data: 0 };
  private ended = false;

  /** `onListenerError` hears of a subscriber that threw (the others are still told). */
  constructor(onListenerError?: ListenerErrorHandler) {
    super(onListenerError);
  }

  get closed(): boolean {
    return this.ended;
  }

  get audioState(): TrackState {
    return { muted: this.audioMuted };
  }

  get videoState(): TrackState {
    return { muted: this.videoMuted };
  }

  /** Applies an event and tells the subscribers; false once closed (nothing changes). */
  apply(event: StreamEvent): boolean {
    if (this.ended) return false;
    switch (event.type) {
      case 'audioMuted': this.audioMuted = true; break;
      case 'audioUnmuted': this.audioMuted = false; break;
      case 'videoMuted': this.videoMuted = true; break;
      case 'videoUnmuted': this.videoMuted = false; break;
      case 'data': break;
    }
    this.counts[event.type]++;
    this.emit('event', event);
    return true;
  }

  toJSON(): StreamEventSnapshot {
    return { audioState: this.audioState, videoState: this.videoState, streamEvents: { ...this.counts } };
  }

  /** The publish ended: the last state stays readable, no more events are taken or told. */
  close(): void {
    if (this.ended) return;
    this.ended = true;
    this.removeAllListeners();
  }
}
