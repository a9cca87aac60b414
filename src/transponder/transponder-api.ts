/**
 * The contract between the REST layer (src/rest/) and the transponder layer. The REST
 * layer only validates, calls these methods and maps `TransponderError` codes to HTTP
 * statuses; TransponderManager implements it. Nothing here knows HTTP.
 */

export type TransponderState = 'PENDING' | 'CONNECTING' | 'PUBLISHING' | 'RESTORING' | 'TERMINATED' | 'FAILED';

/** No action at start: audio relayed as published. */
export interface NoStartupAction {
  action?: undefined;
}
/** Start muted (the WCS `{"action": "mute"}` option). */
export interface MuteStartupAction {
  action: 'mute';
}
/** Start with a WAV file mixed in (the WCS `{"action": "sound_on", "soundFile", "loop"}` option). */
export interface SoundOnStartupAction {
  action: 'sound_on';
  /** A file name (or path) inside the media directory; the implementation resolves and checks it. */
  soundFile: string;
  loop: boolean;
}
/** `options` of /push/startup. Unknown keys are dropped by the REST layer, as WCS ignores them. */
export type StartupOptions = NoStartupAction | MuteStartupAction | SoundOnStartupAction;

export interface StartupRequest {
  /** The name of the published (source) stream. */
  streamName: string;
  /** rtmp:// or rtmps:// destination; carries the stream key, so it is never logged as is. */
  rtmpUrl: string;
  /** Per-request override of rtmp_transponder_full_url; absent = the configured default. */
  rtmpTransponderFullUrl?: boolean;
  /** flashVer sent in connect; absent = the configured default. */
  rtmpFlashVersion?: string;
  /** Output picture size; absent or 0 = as published (a size different from the source means transcoding). */
  width?: number;
  height?: number;
  fps?: number;
  /** Video bitrate in kbps when transcoding. */
  bitrate?: number;
  /** Keyframe interval in frames when transcoding. */
  keyFrameInterval?: number;
  options?: StartupOptions;
}

export interface TransponderStats {
  bytesSent: number;
  bitrateKbps: number;
  framesSent: number;
  /** Of framesSent: video frames (the bench compares them with the frames the publisher received). */
  videoFramesSent: number;
  framesDropped: number;
  /** Of framesDropped: video (non-key frames given up for a slow server) and audio (never, once a connection started). */
  videoFramesDropped: number;
  audioFramesDropped: number;
  /** Bytes of tags waiting for a slow server (bounded; non-key video goes first). */
  queuedBytes: number;
  /** How far behind the RTMP server is, in media ms, from its acknowledgements (absent until it acknowledges). */
  serverLagMs?: number;
  /** Times the push held media back because the server fell more than 2 s behind. */
  lagHolds: number;
  /** Restore attempts made since the push was last lost (0 while publishing). */
  restoreAttempts: number;
  /** Losses of the RTMP connection recovered from. */
  restores: number;
  bufferMs: number;
  lastError?: string;
}

export interface TransponderInfo {
  mediaSessionId: string;
  /** The published name at the RTMP server, e.g. rtmp_cam1. */
  streamName: string;
  /** The source stream's name, e.g. cam1. */
  sourceStreamName?: string;
  /** As given in startup; never logged. */
  rtmpUrl: string;
  width: number;
  height: number;
  muted: boolean;
  soundEnabled: boolean;
  options: Record<string, unknown>;
  status: TransponderState;
  transcoding: boolean;
  stats: TransponderStats;
  /** Epoch milliseconds. */
  createdAt: number;
  /** Why it ended (TERMINATED/FAILED), or the last problem while RESTORING. */
  reason?: string;
}

export interface TransponderFilter {
  streamName?: string;
  rtmpUrl?: string;
}

/** The local manager answers at once; the cluster's wrapper (src/cluster/) asks other nodes first. */
export type MaybePromise<T> = T | Promise<T>;

export interface TransponderApi {
  /** Creates a transponder; rejects with TransponderError (STREAM_NOT_FOUND, TRANSPONDER_EXISTS, ...). */
  startup(req: StartupRequest): Promise<TransponderInfo>;
  /** Transponders matching every given field; an empty filter matches all. */
  find(filter: TransponderFilter): MaybePromise<TransponderInfo[]>;
  findAll(): MaybePromise<TransponderInfo[]>;
  /**
   * Ends a transponder: when it returns, find() shows TERMINATED (the push and its ffmpeg
   * children are released after). An ended one stays as it is (idempotent).
   */
  terminate(mediaSessionId: string): Promise<void>;
  mute(mediaSessionId: string): MaybePromise<void>;
  unmute(mediaSessionId: string): MaybePromise<void>;
  soundOn(mediaSessionId: string, soundFile: string, loop: boolean): Promise<void>;
  soundOff(mediaSessionId: string): MaybePromise<void>;
}

/** Stable codes; src/rest/errors.ts maps each one to an HTTP status in one catalogue. */
export type TransponderErrorCode =
  | 'INVALID_RTMP_URL'
  | 'RTMP_HOST_NOT_FOUND'
  | 'DESTINATION_REFUSED'
  | 'INVALID_PARAMETER'
  | 'STREAM_NOT_FOUND'
  | 'TRANSPONDER_NOT_FOUND'
  | 'TRANSPONDER_EXISTS'
  | 'TRANSPONDER_ENDED'
  | 'SOUND_FILE_NOT_FOUND'
  | 'SOUND_FILE_OUTSIDE_MEDIA_DIR'
  | 'BAD_SOUND_FILE'
  | 'LIMIT_REACHED'
  | 'SERVICE_STOPPING';

/**
 * An expected refusal, with a code the REST layer maps to a status. The message goes to
 * the client as is, so it must never contain a stream key or a password.
 */
export class TransponderError extends Error {
  override readonly name = 'TransponderError';

  constructor(
    readonly code: TransponderErrorCode,
    message: string,
    /** The request field at fault, e.g. `rtmpUrl` or `options.soundFile`. */
    readonly field?: string,
    /** DESTINATION_REFUSED: the destination guard's rule that refused, e.g. `rtmp_push_denied_networks`. */
    readonly rule?: string,
  ) {
    super(message);
  }
}
