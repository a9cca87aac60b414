import { networkInterfaces } from 'node:os';
import {
  MediaStreamTrack,
  ReceiverEstimatedMaxBitrate,
  RTCPeerConnection,
  RTCRtpCodecParameters,
  RtcpPayloadSpecificFeedback,
  RtcpSrPacket,
  type RTCRtpTransceiver,
  type RtcpPacket,
  type RtpPacket,
} from 'werift';
import type { Logger } from '../log';
import { AccessUnitBuilder } from './access-unit-builder';
import { waitForGathering } from './ice-gathering';
import { JitterBuffer, type JitterBufferSink } from './jitter-buffer';
import { answerAsDtlsServer } from './dtls-role';
import './dtls-reassembly-fix';
import './rtp-header-fast-path';
import './rtp-packet-fast-path';
import './rtp-receiver-codec-memo';
import './werift-int-fast-path';
import './werift-event-fast-path';
import { reportFirstReceiveBufferGrant } from './udp-receive-buffer';
import { firPacket } from './fir-packet';
import { KeyframeGate } from './keyframe-gate';
import { rembTargetKbps, UNKNOWN_SIZE_START_KBPS, type BitrateLimits } from './resolution-bitrate';
import type { AudioFrame, VideoCodec, VideoFrame, VpxFrame } from '../media/frames';
import { vp8FrameFromRtpPayloads, vp9FrameFromRtpPayloads, type VpxFrameData } from '../media';
import { MediaClock, type TrackKind } from './media-clock';
import type { BitrateWish, PublisherOptions } from './publisher-options';
import { TypedEmitter } from '../util/typed-emitter';
import { chooseCodecs, offerForWerift, parseSdp, touchAnswer, type OfferChoice, type PublishChoice } from './sdp-offer';
import { h264Depacketizer, VideoFrameAssembler, type AssembledFrame } from './video-frame-assembler';

export type PublisherEvents = {
  /** ICE and DTLS are up */
  connected: [];
  /** the first media packet arrived after connecting: the stream is live */
  flowing: [];
  /** H.264 access units */
  video: [VideoFrame];
  /**
   * VP8 frames or VP9 pictures, from a publisher that offered no H.264: a separate event,
   * so consumers that relay H.264 as is (players) never take them for H.264.
   */
  vpxVideo: [VpxFrame];
  audio: [AudioFrame];
  close: [string];
};

export type PublisherState = 'connecting' | 'connected' | 'flowing' | 'closed';

/**
 * A listener of the publisher's raw media (players forward it as received): each RTP
 * packet after SRTP decryption and before the jitter buffer, in arrival order, and each
 * RTCP sender report. Called synchronously on the packet path: keep it short, never
 * keep or change the packet beyond the call.
 */
export interface RtpTap {
  rtp(kind: TrackKind, packet: RtpPacket): void;
  /** `ntpMs`: the report's NTP time in ms since 1900 (the publisher's clock) */
  senderReport(kind: TrackKind, ntpMs: number, rtpTimestamp: number): void;
}

export interface TrackStats {
  packets: number;
  bytes: number;
  lost: number;
  paddingPackets: number;
  frames: number;
  bitrateKbps: number;
}

export interface PublisherStats {
  streamName: string;
  state: PublisherState;
  closeReason?: string;
  video?: TrackStats & {
    payloadType: number;
    /** the codec the publisher sends: only h264 is relayed without transcoding */
    codec: VideoCodec;
    /** H.264 only */
    profileLevelId?: string;
    keyframes: number;
    nacksSent: number;
    keyframeRequests: number;
    /** Of keyframeRequests: sent as RTCP PLI, and as FIR (to a browser that negotiated only ccm fir). */
    plisSent: number;
    firsSent: number;
    /** losses NACK did not repair that broke the chain of references (incomplete frames, gaps before a frame) */
    unrecoveredLosses: number;
    /** frames not sent because a frame they depend on was lost: each waits for the next keyframe */
    framesDroppedUntilKeyframe: number;
    width?: number;
    height?: number;
    /** frames sent on in the last second (measured once a second, as bitrateKbps) */
    fps: number;
  };
  audio?: TrackStats & { payloadType: number };
  /** `remb`: what the REMB asks for now, when it follows the picture size (the publisher named no maxBitrate) */
  bitrateLimitKbps: { min: number; start: number; max: number; remb?: number };
}

export interface PublisherCreateArgs {
  streamName: string;
  offerSdp: string;
  options: PublisherOptions;
  bitrate?: BitrateWish;
  log: Logger;
}

const VIDEO_MIME_TYPES: Record<VideoCodec, string> = { h264: 'video/H264', vp8: 'video/VP8', vp9: 'video/VP9' };

/** The shortest spacing of keyframe requests, even urgent ones: one per RTT is plenty. */
const URGENT_KEYFRAME_INTERVAL_MS = 100;

function newTrackStats(): TrackStats {
  return { packets: 0, bytes: 0, lost: 0, paddingPackets: 0, frames: 0, bitrateKbps: 0 };
}

/** 64-bit NTP timestamp → ms since 1900. */
function ntpToMs(ntp: bigint): number {
  return Number(ntp >> 32n) * 1000 + (Number(ntp & 0xffffffffn) * 1000) / 2 ** 32;
}

/** Non-loopback IPv4 addresses of this machine. */
export function hostIpv4Addresses(): string[] {
  return Object.values(networkInterfaces())
    .flatMap((list) => list ?? [])
    .filter((a) => a.family === 'IPv4' && !a.internal)
    .map((a) => a.address);
}

/**
 * The address media sockets bind to: `ip_local` when set; else `ip` when it is one of ours;
 * else, with only `ip` set (NAT), the first interface address, announced as `ip`.
 * Undefined means every interface (werift's default).
 */
export function chooseBindAddress(options: Pick<PublisherOptions, 'ip' | 'ipLocal'>, hosts: string[]): string | undefined {
  if (options.ipLocal) return options.ipLocal;
  if (!options.ip) return undefined;
  if (options.ip === '127.0.0.1' || hosts.includes(options.ip)) return options.ip;
  return hosts[0] ?? '127.0.0.1';
}

/** REMB carries the rate as mantissa (18 bits) × 2^exponent (6 bits). */
function rembFields(bps: number): { brExp: number; brMantissa: number } {
  let mantissa = Math.max(0, Math.floor(bps));
  let exp = 0;
  while (mantissa >= 1 << 18) {
    mantissa = Math.floor(mantissa / 2);
    exp++;
  }
  return { brExp: exp, brMantissa: mantissa };
}

/**
 * One browser publishing one stream: a werift RTCPeerConnection that only receives
 * H.264 (or VP8/VP9 when H.264 is not offered) and Opus, and the per-packet path from RTP to VideoFrame/AudioFrame
 * (jitter buffer → access units → keyframe gate → one clock).
 * werift's receiver sends the NACKs; we send REMB, PLI and the bitrate hints.
 */
export class Publisher extends TypedEmitter<PublisherEvents> {
  private drain: Promise<void> = Promise.resolve();
  readonly streamName: string;
  /** the SDP answer for the browser, ready once `create` resolves */
  readonly answerSdp: string;
  private stateValue: PublisherState = 'connecting';
  private closeReason?: string;
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly clock = new MediaClock({ audio: 48000, video: 90000 });
  private readonly builder = new AccessUnitBuilder();
  /** VP8/VP9: the size of the last keyframe */
  private vpxSize?: { width: number; height: number };
  private readonly gate = new KeyframeGate((urgent) => this.requestKeyframe({ urgent }));
  private readonly videoStats = newTrackStats();
  private readonly audioStats = newTrackStats();
  private keyframes = 0;
  private nacksSent = 0;
  private keyframeRequests = 0;
  private plisSent = 0;
  private firsSent = 0;
  private lastKeyframeRequestAt = -Infinity;
  private lastMediaAt = 0;
  private videoTrack?: MediaStreamTrack;
  private videoTransceiver?: RTCRtpTransceiver;
  private audioTrack?: MediaStreamTrack;
  private firSequence = 0;
  private readonly attachedTracks = new Set<MediaStreamTrack>();
  private readonly rtpTaps = new Set<RtpTap>();
  private readonly pipelineStops: Array<() => void> = [];
  private lastRateSample = { at: performance.now(), video: 0, audio: 0, videoFrames: 0 };
  private videoFps = 0;
  private readonly createdAt = performance.now();

  private constructor(
    private readonly pc: RTCPeerConnection,
    private readonly choice: PublishChoice,
    private readonly options: PublisherOptions,
    private readonly bitrate: BitrateLimits,
    /** no maxBitrate from the publisher: the REMB follows the picture size */
    private readonly capByResolution: boolean,
    private readonly log: Logger,
    streamName: string,
    answerSdp: string,
  ) {
    super((event, error) => log.error('publisher listener threw', { stream: streamName, event, error: String(error) }));
    this.streamName = streamName;
    this.answerSdp = answerSdp;
  }

  get closed(): boolean {
    return this.stateValue === 'closed';
  }

  get state(): PublisherState {
    return this.stateValue;
  }

  /**
   * Answers a browser's offer. Rejects with an SdpError (message fit for the user) when
   * the offer is not SDP or lacks H.264 packetization-mode=1 (or VP8/VP9) / Opus; with
   * `transcodingDisabled`, VP8/VP9 alone is refused with the WCS info for it.
   */
  static async create(args: PublisherCreateArgs): Promise<Publisher> {
    const { options, log } = args;
    reportFirstReceiveBufferGrant((grant) => log.info('UDP receive buffer (raise net.core.rmem_max if granted < asked)', { ...grant }));
    const parsed = parseSdp(args.offerSdp);
    const choice = chooseCodecs(parsed, { transcodingDisabled: options.transcodingDisabled });
    const min = args.bitrate?.minBitrate && args.bitrate.minBitrate > 0 ? args.bitrate.minBitrate : options.minBitrateKbps;
    const max = args.bitrate?.maxBitrate && args.bitrate.maxBitrate > 0 ? args.bitrate.maxBitrate : options.maxBitrateKbps;
    // No maxBitrate from the publisher: the REMB follows the picture size (resolution-bitrate.ts),
    // and the browser starts at the 720p rate instead of webrtc_cc_max_bitrate.
    const capByResolution = !(args.bitrate?.maxBitrate && args.bitrate.maxBitrate > 0);
    const defaultStart = capByResolution ? UNKNOWN_SIZE_START_KBPS : max;
    const start = Math.min(max, Math.max(min, args.bitrate?.bitrate && args.bitrate.bitrate > 0 ? args.bitrate.bitrate : defaultStart));
    const bitrate = { min: Math.min(min, max), start, max };

    const hosts = hostIpv4Addresses();
    const bindIp = chooseBindAddress(options, hosts);
    const loopbackOnly = !bindIp && hosts.length === 0;
    const extraHosts = bindIp ? [bindIp] : loopbackOnly ? ['127.0.0.1'] : undefined;
    const range: [number, number] | undefined =
      options.mediaPortFrom !== undefined && options.mediaPortTo !== undefined && options.mediaPortTo > options.mediaPortFrom
        ? [options.mediaPortFrom, options.mediaPortTo]
        : undefined;

    const videoFeedback = [{ type: 'nack' }, { type: 'nack', parameter: 'pli' }, { type: 'goog-remb' }];
    const pc = new RTCPeerConnection({
      codecs: {
        video: choice.video
          ? [new RTCRtpCodecParameters({ mimeType: VIDEO_MIME_TYPES[choice.video.codec], clockRate: 90000, payloadType: choice.video.payloadType, parameters: choice.video.fmtp, rtcpFeedback: videoFeedback })]
          : [],
        audio: choice.audio
          ? [new RTCRtpCodecParameters({ mimeType: 'audio/opus', clockRate: 48000, channels: 2, payloadType: choice.audio.payloadType, parameters: choice.audio.fmtp })]
          : [],
      },
      iceLite: true,
      iceUseIpv4: true,
      iceUseIpv6: false,
      iceUseTcp: false,
      iceAdditionalHostAddresses: extraHosts,
      iceInterfaceAddresses: bindIp ? { udp4: bindIp } : undefined,
      icePortRange: range,
      iceServers: options.iceServers?.map((s) => ({ ...s })) ?? [],
      bundlePolicy: 'max-bundle',
    });

    let publisher: Publisher | undefined;
    try {
      await pc.setRemoteDescription({ type: 'offer', sdp: offerForWerift(parsed, choice) });
      answerAsDtlsServer(pc);
      const answer = await pc.createAnswer();
      await pc.setLocalDescription(answer);
      await waitForGathering(pc, 5000);
      const local = pc.localDescription?.sdp;
      if (!local) throw new Error('werift produced no local description');
      const announceIp = options.ip && bindIp && options.ip !== bindIp ? options.ip : undefined;
      const answerSdp = touchAnswer(local, {
        bindIp,
        announceIp,
        videoPayloadType: choice.video?.payloadType,
        bitrateKbps: bitrate,
      });
      publisher = new Publisher(pc, choice, options, bitrate, capByResolution, log.child({ stream: args.streamName }), args.streamName, answerSdp);
      publisher.attach();
      return publisher;
    } catch (error) {
      if (publisher) publisher.close('setup failed');
      else await pc.close().catch(() => undefined);
      throw error;
    }
  }

  /** Asks the browser for a keyframe (PLI), at most once per pliIntervalMs. */
  requestKeyframe(opts: { urgent?: boolean } = {}): void {
    if (this.closed) return;
    const now = performance.now();
    // rtcp_pli_request_interval bounds routine requests. A new consumer (a transponder
    // starting) cannot wait up to that long for its first picture: an urgent request
    // goes out unless one went out in the last 100 ms.
    const minInterval = opts.urgent ? Math.min(URGENT_KEYFRAME_INTERVAL_MS, this.options.pliIntervalMs) : this.options.pliIntervalMs;
    if (now - this.lastKeyframeRequestAt < minInterval) return;
    const ssrc = this.videoTrack?.ssrc;
    const receiver = this.videoTransceiver?.receiver;
    if (ssrc === undefined || !receiver) return;
    this.lastKeyframeRequestAt = now;
    this.keyframeRequests++;
    if (receiver.pliEnabled || !this.firNegotiated()) {
      this.plisSent++;
      receiver.sendRtcpPLI(ssrc).catch(() => undefined);
      return;
    }
    // FIR for a browser that negotiated ccm fir but not nack pli.
    this.firSequence = (this.firSequence + 1) & 0xff;
    this.firsSent++;
    receiver.dtlsTransport.sendRtcp([firPacket(receiver.rtcpSsrc, ssrc, this.firSequence)]).catch(() => undefined);
  }

  private firNegotiated(): boolean {
    const codecs = this.videoTransceiver?.codecs ?? [];
    return codecs.some((c) => c.rtcpFeedback.some((f) => f.type === 'ccm' && f.parameter === 'fir'));
  }

  /**
   * The codecs this publish negotiated that players can receive as forwarded RTP
   * (payload types and fmtp as the browser offered them): VP8/VP9 video is left out,
   * players get H.264 only.
   */
  get codecs(): OfferChoice {
    const video = this.choice.video;
    if (video?.codec === 'h264') return { audio: this.choice.audio, video: { payloadType: video.payloadType, fmtp: video.fmtp, profileLevelId: video.profileLevelId } };
    return { audio: this.choice.audio };
  }

  /** The video codec the publisher sends, undefined without video. Anything but h264 needs transcoding for RTMP. */
  videoCodec(): VideoCodec | undefined {
    return this.choice.video?.codec;
  }

  /**
   * Adds a listener of the raw RTP and sender reports; returns its removal. With no tap
   * the packet path only checks an empty set. A throwing tap is removed (and logged), so
   * one broken player cannot stall the publish.
   */
  addRtpTap(tap: RtpTap): () => void {
    if (this.closed) return () => undefined;
    this.rtpTaps.add(tap);
    return () => { this.rtpTaps.delete(tap); };
  }

  private tapRtp(kind: TrackKind, rtp: RtpPacket): void {
    for (const tap of this.rtpTaps) {
      try {
        tap.rtp(kind, rtp);
      } catch (error) {
        this.rtpTaps.delete(tap);
        this.log.error('rtp tap threw; removed', { stream: this.streamName, error: String(error) });
      }
    }
  }

  private tapSenderReport(kind: TrackKind, ntpMs: number, rtpTimestamp: number): void {
    for (const tap of this.rtpTaps) {
      try {
        tap.senderReport(kind, ntpMs, rtpTimestamp);
      } catch (error) {
        this.rtpTaps.delete(tap);
        this.log.error('rtp tap threw; removed', { stream: this.streamName, error: String(error) });
      }
    }
  }

  /** Whether the publish negotiated an audio track (a transponder makes a silent one otherwise). */
  hasAudio(): boolean {
    return this.choice.audio !== undefined;
  }

  /** Whether the publish negotiated a video track (an audio-only push waits for no keyframe). */
  hasVideo(): boolean {
    return this.choice.video !== undefined;
  }

  toJSON(): PublisherStats {
    const stats: PublisherStats = { streamName: this.streamName, state: this.stateValue, closeReason: this.closeReason, bitrateLimitKbps: this.capByResolution ? { ...this.bitrate, remb: this.rembKbps() } : { ...this.bitrate } };
    if (this.choice.video) {
      const video = this.choice.video;
      const size = video.codec === 'h264' ? this.builder.size : this.vpxSize;
      stats.video = {
        ...this.videoStats,
        payloadType: video.payloadType,
        codec: video.codec,
        profileLevelId: video.codec === 'h264' ? video.profileLevelId : undefined,
        keyframes: this.keyframes,
        nacksSent: this.nacksSent,
        keyframeRequests: this.keyframeRequests,
        plisSent: this.plisSent,
        firsSent: this.firsSent,
        unrecoveredLosses: this.gate.unrecoveredLosses,
        framesDroppedUntilKeyframe: this.gate.framesDropped,
        width: size?.width,
        height: size?.height,
        fps: this.videoFps,
      };
    }
    if (this.choice.audio) stats.audio = { ...this.audioStats, payloadType: this.choice.audio.payloadType };
    return stats;
  }

  /** Resolves when the peer connection has closed (its UDP sockets, DTLS, SCTP). */
  get drained(): Promise<void> {
    return this.drain;
  }

  /**
   * Ends the publisher: closed at once (the reason kept), timers stopped, 'close' emitted
   * once; the peer connection is released after. Returns that release (the drain).
   */
  close(reason: string): Promise<void> {
    if (this.closed) return this.drain;
    const reached = this.stateValue;
    this.stateValue = 'closed';
    this.closeReason = reason;
    for (const t of this.timers) clearInterval(t);
    this.rtpTaps.clear();
    for (const stop of this.pipelineStops) {
      try { stop(); } catch { /* already stopped */ }
    }
    this.drain = this.pc.close().catch((error: unknown) => this.log.debug('peer connection close failed', { stream: this.streamName, error: String(error) }));
    // The publisher's one end line: why, how long, how much came and what was lost.
    this.log.info('publisher ended', {
      reason,
      reached,
      durationMs: Math.round(performance.now() - this.createdAt),
      videoFrames: this.videoStats.frames,
      audioFrames: this.audioStats.frames,
      bytes: this.videoStats.bytes + this.audioStats.bytes,
      packetsLost: this.videoStats.lost + this.audioStats.lost,
      drops: this.gate.framesDropped,
      keyframeRequests: this.keyframeRequests,
      nacksSent: this.nacksSent,
    });
    this.emit('close', reason);
    this.removeAllListeners();
    return this.drain;
  }

  private attach(): void {
    const pc = this.pc;
    pc.connectionStateChange.subscribe((state) => {
      if (state === 'connected' && this.stateValue === 'connecting') {
        this.stateValue = 'connected';
        this.lastMediaAt = performance.now();
        this.log.info('publisher connected', { stream: this.streamName });
        this.sendRemb();
        this.emit('connected');
      } else if (state === 'failed' || state === 'closed') {
        this.close(state === 'failed' ? 'ICE/DTLS failed' : 'peer connection closed');
      }
    });
    for (const transceiver of pc.getTransceivers()) {
      const kind = transceiver.kind;
      if (kind !== 'audio' && kind !== 'video') continue;
      if (kind === 'video') this.videoTransceiver = transceiver;
      transceiver.receiver.onPacketLost.subscribe(() => { this.nacksSent++; });
      // werift creates remote tracks inside setRemoteDescription, before we are here.
      for (const track of transceiver.receiver.tracks) this.attachTrack(kind, track);
      transceiver.onTrack.subscribe((track) => this.attachTrack(kind, track));
    }
    this.timers.push(setTimeout(() => {
      if (this.stateValue === 'connecting') this.close(`ICE/DTLS not connected within ${this.options.connectTimeoutMs} ms`);
    }, this.options.connectTimeoutMs));
    this.timers.push(setInterval(() => this.tick(), 1000));
    if (this.options.periodicKeyframeIntervalMs > 0) {
      this.timers.push(setInterval(() => this.requestKeyframe(), this.options.periodicKeyframeIntervalMs));
    }
  }

  private attachTrack(kind: TrackKind, track: MediaStreamTrack): void {
    if (this.closed || this.attachedTracks.has(track)) return;
    this.attachedTracks.add(track);
    const stats = kind === 'video' ? this.videoStats : this.audioStats;
    let sink: JitterBufferSink<RtpPacket>;
    if (kind === 'video') {
      this.videoTrack = track;
      const assembler = this.videoAssembler();
      sink = {
        lost: (count) => { stats.lost += count; },
        packet: (rtp) => {
          if (this.closed) return;
          if (rtp.payload.length === 0) stats.paddingPackets++;
          const { sequenceNumber, timestamp, marker } = rtp.header;
          assembler.push({ sequenceNumber, timestamp, marker, payload: rtp.payload });
        },
      };
    } else {
      this.audioTrack = track;
      sink = {
        lost: (count) => { stats.lost += count; },
        packet: (rtp) => {
          if (this.closed) return;
          if (rtp.payload.length === 0) { stats.paddingPackets++; return; }
          stats.frames++;
          this.emit('audio', { pts: this.clock.pts('audio', rtp.header.timestamp), opus: Buffer.from(rtp.payload) });
        },
      };
    }
    const jitter = new JitterBuffer(kind === 'video' ? 90000 : 48000, this.options.jitterBufferLatencyMs, sink);
    this.pipelineStops.push(() => jitter.clear());
    const onRtp = (rtp: RtpPacket): void => {
      if (this.closed) return;
      stats.packets++;
      stats.bytes += rtp.payload.length;
      this.lastMediaAt = performance.now();
      if (this.stateValue === 'connected') {
        this.stateValue = 'flowing';
        this.log.info('publisher media flowing', { stream: this.streamName });
        this.emit('flowing');
      }
      if (this.rtpTaps.size > 0) this.tapRtp(kind, rtp);
      jitter.input(rtp);
    };
    const onRtcp = (rtcp: RtcpPacket): void => {
      if (this.closed) return;
      this.lastMediaAt = performance.now();
      if (rtcp instanceof RtcpSrPacket) {
        const ntpMs = ntpToMs(rtcp.senderInfo.ntpTimestamp);
        this.clock.senderReport(kind, ntpMs, rtcp.senderInfo.rtpTimestamp);
        if (this.rtpTaps.size > 0) this.tapSenderReport(kind, ntpMs, rtcp.senderInfo.rtpTimestamp);
      }
    };
    const rtpSub = track.onReceiveRtp.subscribe(onRtp);
    const rtcpSub = track.onReceiveRtcp.subscribe(onRtcp);
    this.pipelineStops.push(() => { rtpSub.unSubscribe(); rtcpSub.unSubscribe(); });
  }

  /** The assembler for the negotiated video codec. */
  private videoAssembler(): VideoFrameAssembler<Buffer[]> | VideoFrameAssembler<VpxFrameData> {
    const codec = this.choice.video?.codec ?? 'h264';
    if (codec === 'h264') return new VideoFrameAssembler((unit) => this.onAccessUnit(unit), h264Depacketizer);
    const depacketize = codec === 'vp8' ? vp8FrameFromRtpPayloads : vp9FrameFromRtpPayloads;
    return new VideoFrameAssembler((unit) => this.onVpxFrame(codec, unit), depacketize);
  }

  /**
   * One VP8 frame or VP9 picture: a keyframe stands on its own (it refers to nothing),
   * every other frame only when nothing since the last keyframe was lost.
   */
  private onVpxFrame(codec: 'vp8' | 'vp9', unit: AssembledFrame<VpxFrameData>): void {
    if (this.closed) return;
    if (unit.kind === 'incomplete') {
      this.gate.incomplete();
      return;
    }
    const { data, keyframe, width, height } = unit.data;
    if (!this.gate.admit({ keyframe, afterGap: unit.afterGap, selfContained: keyframe })) return;
    if (width !== undefined && height !== undefined) this.vpxSize = { width, height };
    this.videoStats.frames++;
    if (keyframe) this.keyframes++;
    this.emit('vpxVideo', { codec, pts: this.clock.pts('video', unit.timestamp), keyframe, data: Buffer.from(data), width, height });
  }

  /** One access unit out of the assembler: sent only when every frame it depends on was. */
  private onAccessUnit(unit: AssembledFrame<Buffer[]>): void {
    if (this.closed) return;
    if (unit.kind === 'incomplete') {
      this.gate.incomplete();
      return;
    }
    const built = this.builder.build(unit.data, this.clock.pts('video', unit.timestamp));
    if (!built) return;
    const { frame, selfContained } = built;
    if (!this.gate.admit({ keyframe: frame.keyframe, afterGap: unit.afterGap, selfContained })) return;
    this.videoStats.frames++;
    if (frame.keyframe) this.keyframes++;
    this.emit('video', frame);
  }

  /** Once a second: bitrate and frame rate, REMB, and the media timeout. */
  private tick(): void {
    if (this.closed) return;
    const now = performance.now();
    const seconds = (now - this.lastRateSample.at) / 1000;
    if (seconds > 0) {
      this.videoStats.bitrateKbps = Math.round(((this.videoStats.bytes - this.lastRateSample.video) * 8) / seconds / 1000);
      this.audioStats.bitrateKbps = Math.round(((this.audioStats.bytes - this.lastRateSample.audio) * 8) / seconds / 1000);
      this.videoFps = Math.round((this.videoStats.frames - this.lastRateSample.videoFrames) / seconds);
    }
    this.lastRateSample = { at: now, video: this.videoStats.bytes, audio: this.audioStats.bytes, videoFrames: this.videoStats.frames };
    if (this.stateValue === 'connected' || this.stateValue === 'flowing') {
      this.sendRemb();
      if (now - this.lastMediaAt > this.options.mediaTimeoutMs) this.close(`no media for ${this.options.mediaTimeoutMs} ms`);
    }
  }

  /** The rate we allow now (kbit/s): the publisher's maxBitrate, or the platforms' rate for the picture size. */
  private rembKbps(): number {
    const video = this.choice.video;
    const size = video ? (video.codec === 'h264' ? this.builder.size : this.vpxSize) : undefined;
    return rembTargetKbps(this.bitrate, this.capByResolution, size);
  }

  /**
   * REMB with the rate we allow: Chromium caps its estimate at the REMB value and, with
   * the x-google start/min hints of the answer, starts there instead of probing upwards.
   */
  private sendRemb(): void {
    const receiver = this.videoTransceiver?.receiver;
    const ssrcs = [this.videoTrack?.ssrc, this.audioTrack?.ssrc].filter((s): s is number => typeof s === 'number');
    if (!receiver || ssrcs.length === 0) return;
    const bps = this.rembKbps() * 1000;
    const remb = new ReceiverEstimatedMaxBitrate({
      senderSsrc: receiver.rtcpSsrc,
      mediaSsrc: 0,
      ssrcNum: ssrcs.length,
      ssrcFeedbacks: ssrcs,
      bitrate: BigInt(bps),
      ...rembFields(bps),
    });
    receiver.dtlsTransport.sendRtcp([new RtcpPayloadSpecificFeedback({ feedback: remb })]).catch(() => undefined);
  }
}

