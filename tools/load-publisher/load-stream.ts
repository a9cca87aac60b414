/**
 * One stream of the load generator: a WCS session and a werift RTCPeerConnection that
 * sends the pre-packetized source in real time, looping, with continuous RTP sequence
 * numbers and timestamps. Loopback only: the offer carries 127.0.0.1 host candidates.
 * Keyframe requests are not answered (the source is pre-encoded); its GOP repeats them.
 */
import { randomBytes } from 'node:crypto';
import { MediaStreamTrack, RTCPeerConnection, RTCRtpCodecParameters, RtpHeader, RtpPacket } from 'werift';
import { TypedEmitter } from '../../src/util/typed-emitter';
import { waitForGathering } from '../../src/webrtc/ice-gathering';
import type { LoadSource } from './load-source';
import { WcsClient } from './wcs-client';

export type LoadStreamState = 'connecting' | 'sending' | 'publishing' | 'closed';

export interface LoadStreamStats {
  name: string;
  state: LoadStreamState;
  closeReason?: string;
  /** ms from start to the server's PUBLISHING */
  publishingAfterMs?: number;
  videoFrames: number;
  keyframes: number;
  audioPackets: number;
  rtpPackets: number;
  /** RTP payload bytes sent */
  bytes: number;
  /** worst delay of a packet behind its due time (the generator's own overload shows here) */
  maxLagMs: number;
}

export type LoadStreamEvents = {
  publishing: [];
  close: [string];
};

export interface LoadStreamOptions {
  url: string;
  name: string;
  source: LoadSource;
  /** deadline for ESTABLISHED, the answer, ICE/DTLS and PUBLISHING */
  timeoutMs?: number;
  rtmpUrl?: string;
  /** the WebSDK's `custom` object, sent with `connection` and `publishStream` */
  custom?: Record<string, unknown>;
  maxBitrateKbps?: number;
}

const VIDEO_PT = 102;
const AUDIO_PT = 111;

/** Keeps only 127.0.0.1 host candidates, so nothing leaves the loopback. */
export function loopbackOnlySdp(sdp: string): string {
  return sdp
    .split('\r\n')
    .filter((line) => !line.startsWith('a=candidate:') || / 127\.0\.0\.1 \d+ typ host/.test(line))
    .join('\r\n');
}

function random32(): number {
  return randomBytes(4).readUInt32BE(0);
}

export class LoadStream extends TypedEmitter<LoadStreamEvents> {
  readonly name: string;
  private stateValue: LoadStreamState = 'connecting';
  private started = false;
  private closeReason?: string;
  private readonly startedAt = performance.now();
  private publishingAfterMs?: number;
  private readonly client = new WcsClient();
  private readonly pc: RTCPeerConnection;
  private readonly videoTrack = new MediaStreamTrack({ kind: 'video' });
  private readonly audioTrack = new MediaStreamTrack({ kind: 'audio' });
  private readonly mediaSessionId = randomBytes(8).toString('hex');
  /** media time 0, set when DTLS is up */
  private mediaStart = 0;
  private videoIndex = 0;
  private audioIndex = 0;
  private videoSeq = random32() & 0xffff;
  private audioSeq = random32() & 0xffff;
  private readonly videoTs0 = random32();
  private readonly audioTs0 = random32();
  private readonly counters = { videoFrames: 0, keyframes: 0, audioPackets: 0, rtpPackets: 0, bytes: 0, maxLagMs: 0 };

  constructor(private readonly options: LoadStreamOptions) {
    super();
    this.name = options.name;
    this.pc = new RTCPeerConnection({
      codecs: {
        video: [new RTCRtpCodecParameters({
          mimeType: 'video/H264', clockRate: 90000, payloadType: VIDEO_PT,
          parameters: 'level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f',
          rtcpFeedback: [{ type: 'nack' }, { type: 'nack', parameter: 'pli' }, { type: 'goog-remb' }],
        })],
        audio: [new RTCRtpCodecParameters({ mimeType: 'audio/opus', clockRate: 48000, channels: 2, payloadType: AUDIO_PT, parameters: 'minptime=10;useinbandfec=1' })],
      },
      iceUseIpv4: true,
      iceUseIpv6: false,
      iceUseTcp: false,
      iceInterfaceAddresses: { udp4: '127.0.0.1' },
      iceAdditionalHostAddresses: ['127.0.0.1'],
      bundlePolicy: 'max-bundle',
    });
  }

  get state(): LoadStreamState {
    return this.stateValue;
  }

  get closed(): boolean {
    return this.stateValue === 'closed';
  }

  /**
   * Connects, publishes, and resolves once the server says PUBLISHING; on failure the
   * stream is closed and the promise rejects with the reason. Media flows only while the
   * owner calls `pump` (the server says PUBLISHING once the first packets arrive).
   */
  async start(): Promise<void> {
    if (this.closed) throw new Error(`stream ${this.name} is closed (${this.closeReason})`);
    if (this.started) throw new Error(`stream ${this.name} is already started`);
    this.started = true;
    try {
      await this.run();
    } catch (error) {
      this.close(`start failed: ${(error as Error).message}`);
      throw error;
    }
  }

  private async run(): Promise<void> {
    const timeoutMs = this.options.timeoutMs ?? 15_000;
    const deadline = setTimeout(() => this.close(`not PUBLISHING within ${timeoutMs} ms`), timeoutMs);
    try {
      this.client.on('close', (reason) => this.close(`signaling: ${reason}`));
      this.client.on('status', (e) => {
        if (e.mediaSessionId !== this.mediaSessionId) return;
        if (e.status === 'PUBLISHING' && this.stateValue !== 'closed') {
          this.stateValue = 'publishing';
          this.publishingAfterMs = Math.round(performance.now() - this.startedAt);
          this.emit('publishing');
        } else if (e.status === 'FAILED' || e.status === 'UNPUBLISHED') {
          this.close(`server: ${e.status} ${e.info ?? ''}`.trim());
        }
      });
      this.pc.addTransceiver(this.videoTrack, { direction: 'sendonly' });
      this.pc.addTransceiver(this.audioTrack, { direction: 'sendonly' });
      this.pc.connectionStateChange.subscribe((state) => {
        if (state === 'connected' && this.stateValue === 'connecting') {
          this.stateValue = 'sending';
          this.mediaStart = performance.now();
        } else if (state === 'failed' || state === 'closed') {
          this.close(`peer connection ${state}`);
        }
      });
      await this.client.connect(this.options.url, timeoutMs, this.options.custom);
      await this.pc.setLocalDescription(await this.pc.createOffer());
      await waitForGathering(this.pc, 5000);
      const offer = this.pc.localDescription?.sdp;
      if (!offer) throw new Error('werift produced no offer');
      const answer = await this.client.publish({
        mediaSessionId: this.mediaSessionId,
        name: this.name,
        sdp: loopbackOnlySdp(offer),
        rtmpUrl: this.options.rtmpUrl,
        custom: this.options.custom,
        maxBitrate: this.options.maxBitrateKbps,
      }, timeoutMs);
      await this.pc.setRemoteDescription({ type: 'answer', sdp: answer });
      await new Promise<void>((resolve, reject) => {
        if (this.stateValue === 'publishing') return resolve();
        const onClose = (reason: string): void => reject(new Error(reason));
        this.once('close', onClose);
        this.once('publishing', () => {
          this.off('close', onClose);
          resolve();
        });
      });
    } finally {
      clearTimeout(deadline);
    }
  }

  /**
   * Sends every frame and audio packet due by `now` (performance.now()). Called by the
   * owner's one timer for all streams; does nothing until DTLS is up.
   */
  pump(now: number): void {
    if (this.stateValue !== 'sending' && this.stateValue !== 'publishing') return;
    const src = this.options.source;
    const elapsed = now - this.mediaStart;
    const frameMs = 1000 / src.options.fps;
    while (this.videoIndex * frameMs <= elapsed) {
      const lag = elapsed - this.videoIndex * frameMs;
      if (lag > this.counters.maxLagMs) this.counters.maxLagMs = lag;
      const frame = src.video[this.videoIndex % src.video.length]!;
      const timestamp = (this.videoTs0 + this.videoIndex * src.videoStep) >>> 0;
      const last = frame.payloads.length - 1;
      for (let i = 0; i <= last; i++) {
        const payload = frame.payloads[i]!;
        this.videoTrack.writeRtp(new RtpPacket(new RtpHeader({ payloadType: VIDEO_PT, sequenceNumber: this.videoSeq, timestamp, marker: i === last }), payload));
        this.videoSeq = (this.videoSeq + 1) & 0xffff;
        this.counters.rtpPackets++;
        this.counters.bytes += payload.length;
      }
      this.counters.videoFrames++;
      if (frame.keyframe) this.counters.keyframes++;
      this.videoIndex++;
    }
    while (this.audioIndex * src.audioPacketMs <= elapsed) {
      const payload = src.audio[this.audioIndex % src.audio.length]!;
      const timestamp = (this.audioTs0 + this.audioIndex * src.audioStep) >>> 0;
      this.audioTrack.writeRtp(new RtpPacket(new RtpHeader({ payloadType: AUDIO_PT, sequenceNumber: this.audioSeq, timestamp, marker: this.audioIndex === 0 }), payload));
      this.audioSeq = (this.audioSeq + 1) & 0xffff;
      this.counters.audioPackets++;
      this.counters.rtpPackets++;
      this.counters.bytes += payload.length;
      this.audioIndex++;
    }
  }

  toJSON(): LoadStreamStats {
    return { name: this.name, state: this.stateValue, closeReason: this.closeReason, publishingAfterMs: this.publishingAfterMs, ...this.counters, maxLagMs: Math.round(this.counters.maxLagMs) };
  }

  /** Unpublishes (when the session is up), closes the peer connection and the socket. Idempotent. */
  close(reason = 'stopped'): void {
    if (this.closed) return;
    this.stateValue = 'closed';
    this.closeReason = reason;
    if (!this.client.closed) this.client.unpublish(this.mediaSessionId, this.name);
    this.client.close(reason);
    this.videoTrack.stop();
    this.audioTrack.stop();
    this.pc.close().catch(() => undefined);
    this.emit('close', reason);
    this.removeAllListeners();
  }
}

