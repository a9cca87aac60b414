/**
 * Pushes an FLV file through the service's push (PushRestorer over RtmpPublisher attempts), paced in real time by the tags'
 * timestamps (optionally looped). Used by `npm run push`, the tests and the benchmark.
 */
import { readFlvFile } from '../src/flv/flv-file-reader';
import { FlvTagType, isSequenceHeader, type FlvTag } from '../src/flv/flv-tag';
import { parseMetadata } from '../src/flv/metadata';
import { AvcPacketType } from '../src/flv/video-tag';
import type { RtmpPublisherOptions } from '../src/rtmp/rtmp-publisher';
import { PushRestorer } from '../src/transponder/push-restorer';
import { RestorePolicy, type RestoreRule } from '../src/transponder/restore-policy';

export interface FlvPushOptions {
  file: string;
  publisher: RtmpPublisherOptions;
  /** After a loss: default none (the push fails). */
  restore?: RestoreRule;
  /** Start again at the end, with timestamps continuing, until `durationMs`. */
  loop?: boolean;
  /** Stop after this much media (ms); default: the whole file once. */
  durationMs?: number;
  /** Speed factor: 1 = real time; Infinity = as fast as possible. */
  speed?: number;
}

/** Reads the whole file once: small test and benchmark files fit in memory. */
async function loadTags(file: string): Promise<FlvTag[]> {
  const tags: FlvTag[] = [];
  for await (const tag of readFlvFile(file)) tags.push(tag);
  return tags;
}

export class FlvFilePusher {
  readonly push: PushRestorer;
  private stopped = false;
  private wake: (() => void) | undefined;
  private sleepTimer: NodeJS.Timeout | undefined;
  private sinceYield = 0;
  mediaMs = 0;

  constructor(private readonly opts: FlvPushOptions) {
    this.push = new PushRestorer({
      attempt: opts.publisher,
      restore: opts.restore ?? new RestorePolicy({ enabled: false, attempts: 0, intervalMs: 0 }),
    });
  }

  /** Publishes, then sends until the file (or duration) ends or stop() is called. */
  async run(onPublished?: (ms: number) => void): Promise<void> {
    const tags = await loadTags(this.opts.file);
    const meta = tags.find((t) => t.type === FlvTagType.Script);
    const parsed = meta ? parseMetadata(meta.data) : undefined;
    if (parsed) this.push.setMetadata({ ...parsed, duration: undefined, filesize: undefined });
    // AVC end-of-sequence tags would end the picture in the middle of a loop; the push
    // ends with FCUnpublish instead.
    const media = tags.filter((t) => t.type !== FlvTagType.Script && !isEndOfSequence(t));
    if (media.length === 0) throw new Error(`${this.opts.file} holds no audio or video tags`);

    const t0 = Date.now();
    await this.published();
    onPublished?.(Date.now() - t0);

    const speed = this.opts.speed ?? 1;
    const first = media[0].timestamp;
    // One loop lasts until after the file's last tag of either track, so the next
    // round's first video never comes before this round's last audio.
    const lastTs = media.reduce((m, t) => Math.max(m, t.timestamp), first);
    const span = lastTs - first + frameGap(media);
    const limit = this.opts.durationMs ?? (this.opts.loop ? Infinity : span);
    const start = Date.now();
    for (let round = 0; !this.stopped; round++) {
      for (const tag of media) {
        if (this.stopped) break;
        const headerAgain = round > 0 && isSequenceHeader(tag);
        if (headerAgain) continue; // sequence headers go once; the publisher resends them after a restore
        const ts = tag.timestamp - first + round * span;
        if (ts >= limit) {
          this.stopped = true;
          break;
        }
        const due = start + ts / speed;
        const wait = due - Date.now();
        if (wait > 1 && Number.isFinite(speed)) await this.sleep(wait);
        else if (++this.sinceYield >= 64) {
          // Never hold the event loop for long, even when sending as fast as possible.
          this.sinceYield = 0;
          await new Promise((r) => setImmediate(r));
        }
        if (this.stopped) break;
        this.mediaMs = ts;
        this.push.send({ type: tag.type, timestamp: ts, data: tag.data });
        if (this.push.closed) return;
      }
      if (!this.opts.loop) break;
    }
  }

  /** Ends the run loop and closes the push cleanly. */
  async stop(reason = 'stopped'): Promise<void> {
    this.stopped = true;
    if (this.sleepTimer) clearTimeout(this.sleepTimer);
    this.wake?.();
    await this.push.close(reason);
  }

  /** Starts the push; resolves on the first NetStream.Publish.Start, rejects with why it failed. */
  private published(): Promise<void> {
    return new Promise((resolve, reject) => {
      const onState = (state: string, reason: string, detail: string): void => {
        if (state === 'PUBLISHING') {
          this.push.off('state', onState);
          resolve();
        } else if (state === 'FAILED' || state === 'TERMINATED') {
          this.push.off('state', onState);
          // An operator's tool: the detail behind the failure class (the socket error) too.
          reject(new Error(detail && detail !== reason ? `${reason} (${detail})` : reason));
        }
      };
      this.push.on('state', onState);
      this.push.start();
    });
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.wake = resolve;
      this.sleepTimer = setTimeout(resolve, ms);
    });
  }
}


/** The typical spacing of video frames, so a loop does not repeat a timestamp. */
function frameGap(tags: FlvTag[]): number {
  const video = tags.filter((t) => t.type === FlvTagType.Video && !isSequenceHeader(t));
  if (video.length < 2) return 33;
  return Math.max(1, Math.round((video[video.length - 1].timestamp - video[0].timestamp) / (video.length - 1)));
}

function isEndOfSequence(tag: FlvTag): boolean {
  return tag.type === FlvTagType.Video && tag.data.length > 1 && tag.data[1] === AvcPacketType.EndOfSequence;
}
