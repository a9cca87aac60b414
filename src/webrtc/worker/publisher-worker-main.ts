/**
 * The script of one media worker thread: it runs real Publishers (werift peer connection,
 * SRTP, jitter buffer, depacketizing, the media clock) for the main thread, which holds a
 * RemotePublisher for each. Started by media-worker.ts; ends when the main thread
 * terminates it (every peer connection it holds goes with the thread).
 */
import { parentPort } from 'node:worker_threads';
import { RtpPacket } from 'werift';
import { Publisher, type PublisherStats, type RtpTap } from '../publisher';
import { SdpError } from '../sdp-offer';
import { packOne, packParts } from './frame-transfer';
import type { FromWorker, ToWorker } from './messages';
import { PostingLogger } from './posting-logger';
import { EventLoopMeter, LOOP_REPORT_INTERVAL_MS } from './loop-figures';
import { PublisherBacklog, withBacklog } from './publisher-backlog';
import { warmUp } from './warm-up';

/** How often every publisher's figures are pushed to the main thread (toJSON there reads the last). */
export const STATS_PUSH_INTERVAL_MS = 250;

if (!parentPort) throw new Error('publisher-worker-main runs only as a worker thread');
const port = parentPort;

/**
 * What this turn of the event loop has to say, posted as one message when the turn ends
 * (setImmediate runs right after the I/O callbacks): one wake-up and one message of the
 * main thread per turn instead of one per frame (measured: 5300 epoll wake-ups of the
 * main thread in 5 s with 8 streams, about three times as many as without workers).
 * Order is kept; nothing waits longer than the turn that produced it. Each flush is
 * numbered; the main thread acknowledges the last it has taken, which bounds what each
 * publisher keeps in flight (PublisherBacklog).
 */
let outbox: FromWorker[] = [];
let outboxTransfers: ArrayBuffer[] = [];
/** the backlogs charged by the messages in the outbox */
const charged = new Set<PublisherBacklog>();
let lastSeq = 0;
let ackedSeq = 0;
/** the flush that carried the last stats push: the next waits until it is taken */
let statsSeq = 0;

function post(message: FromWorker, transfer?: ArrayBuffer[]): void {
  outbox.push(message);
  if (transfer) for (const buffer of transfer) outboxTransfers.push(buffer);
  if (outbox.length === 1) setImmediate(flush);
}

function flush(): void {
  const messages = outbox;
  const transfers = outboxTransfers;
  outbox = [];
  outboxTransfers = [];
  const seq = ++lastSeq;
  for (const backlog of charged) backlog.flushed(seq);
  charged.clear();
  port.postMessage({ type: 'batch', seq, messages } satisfies FromWorker, transfers);
}

function acknowledge(seq: number): void {
  ackedSeq = seq;
  for (const entry of hosted.values()) entry.backlog.acknowledge(seq);
}

interface Hosted {
  publisher: Publisher;
  backlog: PublisherBacklog;
  removeTap?: () => void;
}

const hosted = new Map<number, Hosted>();

port.on('message', (message: ToWorker) => {
  switch (message.type) {
    case 'create':
      void create(message);
      return;
    case 'keyframe':
      hosted.get(message.id)?.publisher.requestKeyframe({ urgent: message.urgent });
      return;
    case 'tap':
      setTap(message.id, message.on);
      return;
    case 'close':
      void hosted.get(message.id)?.publisher.close(message.reason);
      return;
    case 'ack':
      acknowledge(message.seq);
      return;
  }
});

const statsTimer = setInterval(() => {
  // While the main thread has not taken the last push, a new one would only queue behind it.
  if (hosted.size === 0 || ackedSeq < statsSeq) return;
  post({ type: 'stats', list: [...hosted].map(([id, h]) => [id, withBacklog(h.publisher.toJSON(), h.backlog)]) });
  statsSeq = lastSeq + 1;
}, STATS_PUSH_INTERVAL_MS);
// The thread ends when terminated; this timer must not be what keeps it alive otherwise.
statsTimer.unref();

// Whether this thread keeps up, for the metrics: also while it holds no publisher.
const loopMeter = new EventLoopMeter();
const loopTimer = setInterval(() => post({ type: 'loop', figures: loopMeter.take() }), LOOP_REPORT_INTERVAL_MS);
loopTimer.unref();

// Loaded (the modules above); warmed, it tells the pool it takes publishers. A create
// that comes earlier is served all the same, in order.
void warmUp(new PostingLogger(port)).then(() => post({ type: 'ready' }));

async function create(message: Extract<ToWorker, { type: 'create' }>): Promise<void> {
  const { id } = message;
  const log = new PostingLogger(port, id);
  let publisher: Publisher;
  try {
    publisher = await Publisher.create({
      streamName: message.streamName,
      offerSdp: message.offerSdp,
      options: message.options,
      bitrate: message.bitrate,
      log,
    });
  } catch (error) {
    const sdp = error instanceof SdpError;
    post({ type: 'createFailed', id, error: { message: sdp ? error.message : String(error), sdp, info: sdp ? error.info : undefined } });
    return;
  }
  const backlog = new PublisherBacklog({
    requestKeyframe: (urgent) => publisher.requestKeyframe({ urgent }),
    report: (episode) => log.warn('the main thread does not take this publisher\'s media fast enough: dropping (video up to a keyframe)', { ...episode }),
  });
  const entry: Hosted = { publisher, backlog };
  hosted.set(id, entry);
  wire(id, entry);
  post({
    type: 'created',
    id,
    description: {
      answerSdp: publisher.answerSdp,
      codecs: publisher.codecs,
      videoCodec: publisher.videoCodec(),
      hasAudio: publisher.hasAudio(),
      hasVideo: publisher.hasVideo(),
      stats: withBacklog(publisher.toJSON(), backlog),
    },
  });
}

/** Frames are admitted by the publisher's backlog before they are copied: a dropped one costs nothing. */
function wire(id: number, { publisher, backlog }: Hosted): void {
  const stats = (): PublisherStats => withBacklog(publisher.toJSON(), backlog);
  publisher.on('connected', () => post({ type: 'state', id, state: 'connected', stats: stats() }));
  publisher.on('flowing', () => post({ type: 'state', id, state: 'flowing', stats: stats() }));
  publisher.on('video', (frame) => {
    if (!backlog.admitVideo(byteLength(frame.nalUnits), frame.keyframe)) return;
    const { data, sizes } = packParts(frame.nalUnits);
    charged.add(backlog);
    post({ type: 'video', id, pts: frame.pts, keyframe: frame.keyframe, data, sizes }, [data]);
  });
  publisher.on('vpxVideo', (frame) => {
    if (!backlog.admitVideo(frame.data.byteLength, frame.keyframe)) return;
    const data = packOne(frame.data);
    charged.add(backlog);
    post({ type: 'vpx', id, codec: frame.codec, pts: frame.pts, keyframe: frame.keyframe, data, width: frame.width, height: frame.height }, [data]);
  });
  publisher.on('audio', (frame) => {
    if (!backlog.admitAudio(frame.opus.byteLength)) return;
    const data = packOne(frame.opus);
    charged.add(backlog);
    post({ type: 'audio', id, pts: frame.pts, data }, [data]);
  });
  publisher.once('close', (reason) => {
    hosted.delete(id);
    post({ type: 'closed', id, reason, stats: stats() });
    void publisher.drained.finally(() => post({ type: 'released', id }));
  });
}

function byteLength(parts: readonly Uint8Array[]): number {
  let total = 0;
  for (const part of parts) total += part.byteLength;
  return total;
}

function setTap(id: number, on: boolean): void {
  const entry = hosted.get(id);
  if (!entry) return;
  if (!on) {
    entry.removeTap?.();
    entry.removeTap = undefined;
    return;
  }
  if (entry.removeTap) return;
  const tap: RtpTap = {
    rtp: (kind, packet: RtpPacket) => {
      const bytes = packet.serialize();
      if (!entry.backlog.admitRtp(bytes.byteLength)) return;
      const data = packOne(bytes);
      charged.add(entry.backlog);
      post({ type: 'rtp', id, kind, data }, [data]);
    },
    senderReport: (kind, ntpMs, rtpTimestamp) => post({ type: 'senderReport', id, kind, ntpMs, rtpTimestamp }),
  };
  entry.removeTap = entry.publisher.addRtpTap(tap);
}
