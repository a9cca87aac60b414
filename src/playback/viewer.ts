import { randomBytes } from 'node:crypto';
import {
  GenericNack,
  RTCPeerConnection,
  RTCRtpCodecParameters,
  RtcpPayloadSpecificFeedback,
  RtcpTransportLayerFeedback,
  type RTCRtpTransceiver,
  type RtcpPacket,
  type RtpPacket,
} from 'werift';
import type { Logger } from '../log';
import { TypedEmitter } from '../util/typed-emitter';
import { answerAsDtlsServer } from '../webrtc/dtls-role';
import { waitForGathering } from '../webrtc/ice-gathering';
import { chooseBindAddress, hostIpv4Addresses, type RtpTap } from '../webrtc/publisher';
import type { PublisherHandle as Publisher } from '../webrtc/publisher-host';
import { parseSdp, touchAnswer, type OfferChoice } from '../webrtc/sdp-offer';
import type { PlaybackOptions, ViewerNetworkOptions } from './playback-options';
import { chooseViewerCodecs, viewerOfferForWerift } from './viewer-sdp';
import { ViewerTrack, type OutgoingPacket, type ViewerTrackStats } from './viewer-track';

/** Why a viewer ended: the owner turns it into WCS's status and info. */
export type ViewerEndCause = 'stopped' | 'publisher-gone' | 'ice-timeout' | 'ice-failed';

export type ViewerEvents = {
  /** ICE and DTLS are up: media goes out from now on */
  playing: [];
  close: [reason: string, cause: ViewerEndCause];
};

export type ViewerState = 'connecting' | 'playing' | 'closed';

export interface ViewerStats {
  streamName: string;
  state: ViewerState;
  closeReason?: string;
  video?: ViewerTrackStats;
  audio?: ViewerTrackStats;
  keyframeRequests: number;
}

export interface ViewerCreateArgs {
  publisher: Publisher;
  offerSdp: string;
  network: ViewerNetworkOptions;
  options: PlaybackOptions;
  log: Logger;
}

const noop = (): void => undefined;

/** ms since 1970, from the monotonic clock (no jumps when the wall clock is set). */
function nowMs(): number {
  return performance.timeOrigin + performance.now();
}

/** The cname werift wrote for a sender's SSRC (RTCP SDES must repeat it; one per connection). */
function cnameOf(sdp: string, ssrc: number): string {
  return new RegExp(`^a=ssrc:${ssrc} cname:(\\S+)`, 'm').exec(sdp)?.[1] ?? 'rtmp-transponder';
}

/**
 * One browser playing one published stream: a werift RTCPeerConnection that only sends,
 * fed with the publisher's RTP as received (no transcoding). Each of its streams has its
 * own SSRC, payload type and numbering (ViewerTrack); NACKs are answered from a short
 * cache, the viewer's PLIs go to the publisher through its throttle, sender reports keep
 * the publisher's lip sync.
 */
export class Viewer extends TypedEmitter<ViewerEvents> {
  readonly streamName: string;
  /** the SDP answer for the browser, ready once `create` resolves */
  readonly answerSdp: string;
  private stateValue: ViewerState = 'connecting';
  private closeReason?: string;
  private drain: Promise<void> = Promise.resolve();
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly stops: Array<() => void> = [];
  private readonly tracks: { video?: ViewerTrack; audio?: ViewerTrack };
  /** our clock minus the publisher's NTP clock, taken at its first sender report */
  private publisherClockShiftMs?: number;
  private keyframeRequests = 0;

  private constructor(
    private readonly pc: RTCPeerConnection,
    private readonly publisher: Publisher,
    private readonly transceivers: { video?: RTCRtpTransceiver; audio?: RTCRtpTransceiver },
    private readonly options: PlaybackOptions,
    private readonly connectTimeoutMs: number,
    private readonly log: Logger,
    answerSdp: string,
  ) {
    super((event, error) => log.error('viewer listener threw', { stream: publisher.streamName, event, error: String(error) }));
    this.streamName = publisher.streamName;
    this.answerSdp = answerSdp;
    const track = (kind: 'video' | 'audio', t: RTCRtpTransceiver | undefined, payloadType: number | undefined, clockRate: number): ViewerTrack | undefined =>
      t && payloadType !== undefined
        ? new ViewerTrack({
          kind,
          ssrc: t.sender.ssrc,
          payloadType,
          clockRate,
          cname: cnameOf(answerSdp, t.sender.ssrc),
          firstSequence: randomBytes(2).readUInt16BE(0),
          firstTimestamp: randomBytes(4).readUInt32BE(0),
          retransmissionCacheMs: options.retransmissionCacheMs,
        })
        : undefined;
    const negotiated = (t: RTCRtpTransceiver | undefined): number | undefined => t?.codecs[0]?.payloadType;
    this.tracks = {
      video: track('video', transceivers.video, negotiated(transceivers.video), 90000),
      audio: track('audio', transceivers.audio, negotiated(transceivers.audio), 48000),
    };
  }

  get closed(): boolean {
    return this.stateValue === 'closed';
  }

  get state(): ViewerState {
    return this.stateValue;
  }

  /** Resolves when the peer connection has closed (UDP sockets, DTLS). */
  get drained(): Promise<void> {
    return this.drain;
  }

  /**
   * Answers a player's offer for a live publisher. Rejects with an SdpError (message fit
   * for the page) when the player cannot receive what the publisher sends.
   */
  static async create(args: ViewerCreateArgs): Promise<Viewer> {
    const { publisher, network, log } = args;
    if (publisher.closed) throw new Error(`publisher ${publisher.streamName} is closed`);
    const parsed = parseSdp(args.offerSdp);
    const choice = chooseViewerCodecs(parsed, publisher.codecs);
    const hosts = hostIpv4Addresses();
    const bindIp = chooseBindAddress(network, hosts);
    const loopbackOnly = !bindIp && hosts.length === 0;
    const range: [number, number] | undefined =
      network.mediaPortFrom !== undefined && network.mediaPortTo !== undefined && network.mediaPortTo > network.mediaPortFrom
        ? [network.mediaPortFrom, network.mediaPortTo]
        : undefined;
    const pc = new RTCPeerConnection({
      codecs: codecsFor(choice),
      iceLite: true,
      iceUseIpv4: true,
      iceUseIpv6: false,
      iceUseTcp: false,
      iceAdditionalHostAddresses: bindIp ? [bindIp] : loopbackOnly ? ['127.0.0.1'] : undefined,
      iceInterfaceAddresses: bindIp ? { udp4: bindIp } : undefined,
      icePortRange: range,
      iceServers: network.iceServers?.map((s) => ({ ...s })) ?? [],
      bundlePolicy: 'max-bundle',
    });
    let viewer: Viewer | undefined;
    try {
      await pc.setRemoteDescription({ type: 'offer', sdp: viewerOfferForWerift(parsed, choice) });
      const transceivers: { video?: RTCRtpTransceiver; audio?: RTCRtpTransceiver } = {};
      for (const t of pc.getTransceivers()) {
        if ((t.kind !== 'video' && t.kind !== 'audio') || transceivers[t.kind] || t.codecs.length === 0) continue;
        if (!choice[t.kind]) continue;
        t.setDirection('sendonly');
        // One msid stream for both tracks: the page's <video> gets them in one MediaStream,
        // and the browser syncs audio and video of one stream.
        t.sender.streamId = `stream-${publisher.streamName.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 32) || 'x'}`;
        transceivers[t.kind] = t;
      }
      answerAsDtlsServer(pc);
      const answer = await pc.createAnswer();
      await pc.setLocalDescription(answer);
      await waitForGathering(pc, 5000);
      const local = pc.localDescription?.sdp;
      if (!local) throw new Error('werift produced no local description');
      const announceIp = network.ip && bindIp && network.ip !== bindIp ? network.ip : undefined;
      const answerSdp = touchAnswer(local, { bindIp, announceIp });
      viewer = new Viewer(pc, publisher, transceivers, args.options, network.connectTimeoutMs, log, answerSdp);
      viewer.attach();
      return viewer;
    } catch (error) {
      if (viewer) viewer.close('setup failed');
      else await pc.close().catch(noop);
      throw error;
    }
  }

  toJSON(): ViewerStats {
    return {
      streamName: this.streamName,
      state: this.stateValue,
      closeReason: this.closeReason,
      video: this.tracks.video && { ...this.tracks.video.stats },
      audio: this.tracks.audio && { ...this.tracks.audio.stats },
      keyframeRequests: this.keyframeRequests,
    };
  }

  /**
   * Ends the viewer: closed at once (the reason kept), the publisher's tap and every
   * timer and subscription stopped, 'close' emitted once; the peer connection is released
   * after. Returns that release (the drain).
   */
  close(reason: string, cause: ViewerEndCause = 'stopped'): Promise<void> {
    if (this.closed) return this.drain;
    this.stateValue = 'closed';
    this.closeReason = reason;
    for (const t of this.timers) clearInterval(t);
    for (const stop of this.stops.splice(0)) {
      try { stop(); } catch { /* already stopped */ }
    }
    this.tracks.video?.clear();
    this.tracks.audio?.clear();
    this.drain = this.pc.close().catch((error: unknown) => this.log.debug('viewer peer connection close failed', { stream: this.streamName, error: String(error) }));
    this.log.info('viewer closed', { stream: this.streamName, reason, video: this.tracks.video?.stats.packets, audio: this.tracks.audio?.stats.packets });
    this.emit('close', reason, cause);
    this.removeAllListeners();
    return this.drain;
  }

  private attach(): void {
    const onPublisherClose = (reason: string): void => { this.close(`publisher ended: ${reason}`, 'publisher-gone'); };
    this.publisher.once('close', onPublisherClose);
    this.stops.push(() => this.publisher.off('close', onPublisherClose));
    const state = this.pc.connectionStateChange.subscribe((s) => {
      if (s === 'connected' && this.stateValue === 'connecting') this.startPlaying();
      else if (s === 'failed') this.close('ICE/DTLS failed', 'ice-failed');
      else if (s === 'closed') this.close('peer connection closed', 'ice-failed');
    });
    this.stops.push(() => state.unSubscribe());
    for (const kind of ['video', 'audio'] as const) {
      const t = this.transceivers[kind];
      const track = this.tracks[kind];
      if (!t || !track) continue;
      const sub = t.sender.onRtcp.subscribe((rtcp) => this.onViewerRtcp(track, t, rtcp));
      this.stops.push(() => sub.unSubscribe());
    }
    this.timers.push(setTimeout(() => {
      if (this.stateValue === 'connecting') this.close(`ICE/DTLS not connected within ${this.connectTimeoutMs} ms`, 'ice-timeout');
    }, this.connectTimeoutMs));
  }

  private startPlaying(): void {
    this.stateValue = 'playing';
    const tap: RtpTap = {
      rtp: (kind, packet) => this.onPublisherRtp(kind, packet),
      senderReport: (kind, ntpMs, rtpTimestamp) => {
        this.publisherClockShiftMs ??= nowMs() - ntpMs;
        this.tracks[kind]?.publisherSenderReport(ntpMs, rtpTimestamp);
      },
    };
    this.stops.push(this.publisher.addRtpTap(tap));
    this.log.info('viewer playing', { stream: this.streamName });
    this.emit('playing');
    if (this.tracks.video) {
      this.requestKeyframe(true);
      this.every(this.options.keyframeRetryMs, () => { if (this.tracks.video?.needsKeyframe) this.requestKeyframe(false); });
    }
    this.every(this.options.senderReportIntervalMs, () => this.sendSenderReports());
  }

  /** A repeating timer owned by this viewer (close() clears it). */
  private every(ms: number, fn: () => void): void {
    this.timers.push(setInterval(fn, ms));
  }

  private requestKeyframe(urgent: boolean): void {
    this.keyframeRequests++;
    this.publisher.requestKeyframe({ urgent });
  }

  private onPublisherRtp(kind: 'audio' | 'video', packet: RtpPacket): void {
    if (this.stateValue !== 'playing') return;
    const track = this.tracks[kind];
    const transceiver = this.transceivers[kind];
    if (!track || !transceiver) return;
    const out = track.forward(packet, nowMs());
    if (out) this.send(transceiver, out);
  }

  private send(transceiver: RTCRtpTransceiver, packet: OutgoingPacket): void {
    transceiver.sender.dtlsTransport.sendRtp(packet.payload, packet.header).catch(noop);
  }

  private onViewerRtcp(track: ViewerTrack, transceiver: RTCRtpTransceiver, rtcp: RtcpPacket): void {
    if (this.stateValue !== 'playing') return;
    if (rtcp instanceof RtcpTransportLayerFeedback && rtcp.feedback instanceof GenericNack) {
      for (const packet of track.retransmissions(rtcp.feedback.lost, nowMs())) this.send(transceiver, packet);
    } else if (rtcp instanceof RtcpPayloadSpecificFeedback && (rtcp.feedback.count === 1 || rtcp.feedback.count === 4)) {
      // PLI (FMT 1) or FIR (FMT 4): the publisher's throttle decides whether it goes out.
      if (track.spec.kind === 'video') this.requestKeyframe(false);
    }
  }

  private sendSenderReports(): void {
    const now = nowMs();
    for (const kind of ['video', 'audio'] as const) {
      const packets = this.tracks[kind]?.senderReport(now, this.publisherClockShiftMs);
      const transceiver = this.transceivers[kind];
      if (packets && transceiver) transceiver.sender.dtlsTransport.sendRtcp(packets).catch(noop);
    }
  }
}

function codecsFor(choice: OfferChoice): { video: RTCRtpCodecParameters[]; audio: RTCRtpCodecParameters[] } {
  return {
    video: choice.video
      ? [new RTCRtpCodecParameters({
        mimeType: 'video/H264',
        clockRate: 90000,
        payloadType: choice.video.payloadType,
        parameters: choice.video.fmtp,
        rtcpFeedback: [{ type: 'nack' }, { type: 'nack', parameter: 'pli' }],
      })]
      : [],
    audio: choice.audio
      ? [new RTCRtpCodecParameters({ mimeType: 'audio/opus', clockRate: 48000, channels: 2, payloadType: choice.audio.payloadType, parameters: choice.audio.fmtp })]
      : [],
  };
}
