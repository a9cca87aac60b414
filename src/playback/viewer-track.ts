import { RtcpSenderInfo, RtcpSourceDescriptionPacket, RtcpSrPacket, RtpHeader, SourceDescriptionChunk, SourceDescriptionItem, type RtpPacket } from 'werift';
import { startsH264Keyframe } from './h264-keyframe';
import { RetransmissionCache } from './retransmission-cache';
import { RtpRewriter } from './rtp-rewriter';
import { msToNtp, referenceFromPublisherReport, rtpTimestampAt, type ClockReference } from './sender-report';

/** One packet as the viewer gets it (kept for retransmission). */
export interface OutgoingPacket {
  header: RtpHeader;
  payload: Buffer;
}

export interface ViewerTrackSpec {
  kind: 'audio' | 'video';
  ssrc: number;
  payloadType: number;
  clockRate: number;
  cname: string;
  firstSequence: number;
  firstTimestamp: number;
  retransmissionCacheMs: number;
}

export interface ViewerTrackStats {
  packets: number;
  bytes: number;
  nacks: number;
  retransmitted: number;
  retransmitMisses: number;
  senderReports: number;
}

/** Packets per second a 1 s cache must hold for a few Mbit/s of video: 1024 slots are ~2 s at 500 pkt/s. */
const CACHE_SLOTS = 1024;
/** Padding-only packets, by size: the padding bytes end with their count (RFC 3550 5.1). */
const paddingBuffers = new Map<number, Buffer>();
function paddingOf(size: number): Buffer {
  let b = paddingBuffers.get(size);
  if (!b) {
    b = Buffer.alloc(size);
    b[size - 1] = size;
    paddingBuffers.set(size, b);
  }
  return b;
}

/**
 * One stream (audio or video) of one viewer: the publisher's packets rewritten to the
 * viewer's SSRC, payload type and numbering, kept for NACKs, and the sender reports.
 * Video starts at a keyframe (and starts again at one when the input source changes).
 * No I/O: `forward` returns what to send, the Viewer sends it.
 */
export class ViewerTrack {
  private readonly rewriter: RtpRewriter;
  private readonly cache: RetransmissionCache<OutgoingPacket>;
  private waitingForKeyframe: boolean;
  private inputSsrc?: number;
  /** the publisher's newest sender report (its NTP time in ms, its RTP timestamp) */
  private publisherReport?: { ntpMs: number; rtpTimestamp: number };
  private packetCount = 0;
  private octetCount = 0;
  readonly stats: ViewerTrackStats = { packets: 0, bytes: 0, nacks: 0, retransmitted: 0, retransmitMisses: 0, senderReports: 0 };

  constructor(readonly spec: ViewerTrackSpec) {
    this.rewriter = new RtpRewriter({ sequenceNumber: spec.firstSequence, timestamp: spec.firstTimestamp, clockRate: spec.clockRate });
    this.cache = new RetransmissionCache(CACHE_SLOTS, spec.retransmissionCacheMs);
    this.waitingForKeyframe = spec.kind === 'video';
  }

  /** Video waits for a keyframe (the owner asks the publisher for one meanwhile). */
  get needsKeyframe(): boolean {
    return this.waitingForKeyframe;
  }

  get started(): boolean {
    return this.rewriter.started;
  }

  /** The packet for the viewer, or undefined when it is not sent (before a keyframe, stale, empty). */
  forward(packet: RtpPacket, nowMs: number): OutgoingPacket | undefined {
    const { ssrc, sequenceNumber, timestamp, marker, padding, paddingSize } = packet.header;
    if (this.inputSsrc !== undefined && ssrc !== this.inputSsrc) {
      // A new source: its numbering and clock are unrelated to the last one's.
      this.rewriter.switchSource();
      this.publisherReport = undefined;
      if (this.spec.kind === 'video') this.waitingForKeyframe = true;
    }
    this.inputSsrc = ssrc;
    if (this.waitingForKeyframe) {
      if (!startsH264Keyframe(packet.payload)) return undefined;
      this.waitingForKeyframe = false;
    }
    let payload = packet.payload;
    if (payload.length === 0) {
      // Padding only (bandwidth probing): forwarded so the viewer sees no gap in numbering.
      if (!padding || paddingSize === 0) return undefined;
      payload = paddingOf(paddingSize);
    }
    const position = this.rewriter.rewrite(ssrc, sequenceNumber, timestamp, nowMs);
    if (!position) return undefined;
    const header = new RtpHeader({
      payloadType: this.spec.payloadType,
      sequenceNumber: position.sequenceNumber,
      timestamp: position.timestamp,
      ssrc: this.spec.ssrc,
      marker,
      padding: payload !== packet.payload,
    });
    const out = { header, payload };
    this.cache.put(position.sequenceNumber, out, nowMs);
    this.packetCount = (this.packetCount + 1) >>> 0;
    this.octetCount = (this.octetCount + payload.length) >>> 0;
    this.stats.packets++;
    this.stats.bytes += payload.length;
    return out;
  }

  /** The packets a NACK names that are still kept (each lookup counted). */
  retransmissions(lost: number[], nowMs: number): OutgoingPacket[] {
    this.stats.nacks++;
    const found: OutgoingPacket[] = [];
    for (const seq of lost) {
      const p = this.cache.get(seq, nowMs);
      if (p) found.push(p);
      else this.stats.retransmitMisses++;
    }
    this.stats.retransmitted += found.length;
    return found;
  }

  publisherSenderReport(ntpMs: number, rtpTimestamp: number): void {
    this.publisherReport = { ntpMs, rtpTimestamp };
  }

  /**
   * The sender report for `nowMs` (ms since 1970 on our clock), or undefined before the
   * first packet. `shiftMs` moves the publisher's NTP time onto our clock; it is one
   * value for every track of a viewer, so lip sync stays as the publisher sent it.
   */
  senderReport(nowMs: number, shiftMs: number | undefined): Array<RtcpSrPacket | RtcpSourceDescriptionPacket> | undefined {
    const newest = this.rewriter.newest;
    const offset = this.rewriter.timestampOffset;
    if (!newest || offset === undefined) return undefined;
    const reference: ClockReference = this.publisherReport && shiftMs !== undefined
      ? referenceFromPublisherReport(this.publisherReport, shiftMs, offset)
      : { atMs: newest.atMs, rtpTimestamp: newest.timestamp };
    this.stats.senderReports++;
    return [
      new RtcpSrPacket({
        ssrc: this.spec.ssrc,
        senderInfo: new RtcpSenderInfo({
          ntpTimestamp: msToNtp(nowMs),
          rtpTimestamp: rtpTimestampAt(reference, this.spec.clockRate, nowMs),
          packetCount: this.packetCount,
          octetCount: this.octetCount,
        }),
      }),
      new RtcpSourceDescriptionPacket({
        chunks: [new SourceDescriptionChunk({ source: this.spec.ssrc, items: [new SourceDescriptionItem({ type: 1, text: this.spec.cname })] })],
      }),
    ];
  }

  clear(): void {
    this.cache.clear();
  }
}
