/**
 * The bound of one publisher's media on its way from its worker to the main thread.
 *
 * The worker posts frames; the main thread acknowledges, once per turn of its event loop,
 * the last flush it has taken (messages.ts, `ack`). What is posted and not acknowledged
 * yet is in flight: while the main thread stalls (a long GC, a blocked event loop) it
 * grows, and without a bound the port's queue would take memory without limit and hand
 * the transponders a burst of stale media when the stall ends. So, as the RTMP push does
 * when its server falls behind:
 * - video that does not fit is dropped, and so is every frame after it up to the next
 *   keyframe that fits (the frames between depend on the dropped ones): the stream
 *   resumes decodable. The publisher is asked for a keyframe when the drop begins and
 *   again once the backlog has come down to half the bound (its requestKeyframe is
 *   throttled);
 * - audio (small, every frame decodable on its own) is dropped only beyond its own bound
 *   of frames;
 * - raw RTP for players counts in the same bytes and is dropped when it does not fit.
 * Order is kept (a frame is either posted in order or never); every drop is counted, and
 * each episode (from the first drop to the stream's resumption) is reported once.
 * Pure: no timers, no I/O; the clock is injected for the report's throttle.
 */
import type { PublisherStats } from '../publisher';

/**
 * Bytes of one publisher in flight to the main thread. A healthy main thread takes a
 * worker's flush within a turn (a few frames in flight). 1 MiB is 2 s of a 4 Mbit/s stream
 * (the RTMP push's own bound on lag, DEFAULT_MAX_LAG_MS), 4 s of the usual 2 Mbit/s: a
 * stall that long already makes what follows stale; and it holds several keyframes of
 * 1080p (100–300 KB).
 */
export const MAX_BACKLOG_BYTES = 1024 * 1024;

/**
 * Audio frames of one publisher in flight: 3 s of 20 ms Opus packets (about 30 KB),
 * a little more than the video bound at the usual bitrate, since audio is cheap and a gap
 * is heard.
 */
export const MAX_BACKLOG_AUDIO_FRAMES = 150;

/** At most one report of an episode per publisher this often; the episodes between are counted in the next. */
export const BACKLOG_REPORT_INTERVAL_MS = 10_000;

/** What an episode's report says (counts since the publisher started, and the backlog when it began). */
export interface BacklogEpisode {
  bytesInFlight: number;
  audioFramesInFlight: number;
  videoFramesDropped: number;
  audioFramesDropped: number;
  rtpPacketsDropped: number;
  /** episodes since the publisher started, this one included */
  episodes: number;
  /** episodes not reported since the last report (the throttle) */
  unreported: number;
}

export interface PublisherBacklogHooks {
  /** ask the publisher for a keyframe (its own requestKeyframe, which is throttled) */
  requestKeyframe(urgent: boolean): void;
  /** an episode began (throttled: BACKLOG_REPORT_INTERVAL_MS) */
  report(episode: BacklogEpisode): void;
  now?: () => number;
}

export class PublisherBacklog {
  /** posted and not acknowledged (the flush not yet posted included) */
  private bytes = 0;
  private audioFrames = 0;
  /** charged since the last flush: the part of the in-flight figures that flush will carry */
  private unflushedBytes = 0;
  private unflushedAudio = 0;
  /** per flush not yet acknowledged: its sequence number, bytes and audio frames, flattened */
  private readonly flushes: number[] = [];
  private waitingForKeyframe = false;
  private askedAfterCatchUp = false;
  private inEpisode = false;
  private episodes = 0;
  private unreported = 0;
  private lastReportAt = -Infinity;
  private readonly now: () => number;
  readonly dropped = { video: 0, audio: 0, rtp: 0 };

  constructor(private readonly hooks: PublisherBacklogHooks) {
    this.now = hooks.now ?? (() => performance.now());
  }

  get bytesInFlight(): number {
    return this.bytes;
  }

  get audioFramesInFlight(): number {
    return this.audioFrames;
  }

  /** True when anything was charged since the last flush (the worker marks the flush with it). */
  get charged(): boolean {
    return this.unflushedBytes > 0 || this.unflushedAudio > 0;
  }

  /** Whether a video frame of `size` bytes is posted (charged) or dropped (counted). */
  admitVideo(size: number, keyframe: boolean): boolean {
    if (this.waitingForKeyframe) {
      if (!keyframe || !this.fits(size)) return this.dropVideo();
      this.waitingForKeyframe = false;
    } else if (!this.fits(size)) {
      this.waitingForKeyframe = true;
      this.askedAfterCatchUp = false;
      this.dropVideo();
      this.hooks.requestKeyframe(false);
      return false;
    }
    this.charge(size, 0);
    return true;
  }

  admitAudio(size: number): boolean {
    if (this.audioFrames >= MAX_BACKLOG_AUDIO_FRAMES) {
      this.dropped.audio++;
      this.beginEpisode();
      return false;
    }
    this.charge(size, 1);
    return true;
  }

  /** Raw RTP for players: posted when it fits, else dropped (players see a loss and recover as from one). */
  admitRtp(size: number): boolean {
    if (!this.fits(size)) {
      this.dropped.rtp++;
      this.beginEpisode();
      return false;
    }
    this.charge(size, 0);
    return true;
  }

  /** What was charged since the last call left in the flush numbered `seq`. */
  flushed(seq: number): void {
    if (!this.charged) return;
    this.flushes.push(seq, this.unflushedBytes, this.unflushedAudio);
    this.unflushedBytes = 0;
    this.unflushedAudio = 0;
  }

  /** The main thread has taken every flush up to `seq`. */
  acknowledge(seq: number): void {
    const flushes = this.flushes;
    let i = 0;
    while (i < flushes.length && flushes[i]! <= seq) {
      this.bytes -= flushes[i + 1]!;
      this.audioFrames -= flushes[i + 2]!;
      i += 3;
    }
    if (i > 0) flushes.splice(0, i);
    if (this.waitingForKeyframe && !this.askedAfterCatchUp && this.bytes <= MAX_BACKLOG_BYTES / 2) {
      // Caught up: the keyframe asked for when the drop began may have been dropped too.
      this.askedAfterCatchUp = true;
      this.hooks.requestKeyframe(true);
    }
  }

  /** Nothing in flight always fits: a keyframe bigger than the bound still gets through alone. */
  private fits(size: number): boolean {
    return this.bytes === 0 || this.bytes + size <= MAX_BACKLOG_BYTES;
  }

  private charge(bytes: number, audioFrames: number): void {
    this.bytes += bytes;
    this.unflushedBytes += bytes;
    this.audioFrames += audioFrames;
    this.unflushedAudio += audioFrames;
    // The episode ends with the first frame posted once video is decodable again.
    if (this.inEpisode && !this.waitingForKeyframe) this.inEpisode = false;
  }

  private dropVideo(): false {
    this.dropped.video++;
    this.beginEpisode();
    return false;
  }

  private beginEpisode(): void {
    if (this.inEpisode) return;
    this.inEpisode = true;
    this.episodes++;
    this.unreported++;
    const now = this.now();
    if (now - this.lastReportAt < BACKLOG_REPORT_INTERVAL_MS) return;
    this.lastReportAt = now;
    const unreported = this.unreported - 1;
    this.unreported = 0;
    this.hooks.report({
      bytesInFlight: this.bytes,
      audioFramesInFlight: this.audioFrames,
      videoFramesDropped: this.dropped.video,
      audioFramesDropped: this.dropped.audio,
      rtpPacketsDropped: this.dropped.rtp,
      episodes: this.episodes,
      unreported,
    });
  }
}

/**
 * A worker's publisher's figures: the Publisher's, with what its backlog dropped
 * (/debug/streams shows them, 0 while the main thread keeps up).
 */
export type BackloggedPublisherStats = PublisherStats & {
  video?: { framesDroppedBackpressure: number };
  audio?: { framesDroppedBackpressure: number };
  /** raw RTP for players dropped by the bound */
  rtpPacketsDroppedBackpressure: number;
};

export function withBacklog(stats: PublisherStats, backlog: PublisherBacklog): BackloggedPublisherStats {
  const { video, audio } = stats;
  return {
    ...stats,
    video: video && { ...video, framesDroppedBackpressure: backlog.dropped.video },
    audio: audio && { ...audio, framesDroppedBackpressure: backlog.dropped.audio },
    rtpPacketsDroppedBackpressure: backlog.dropped.rtp,
  };
}
