/**
 * Plain settings of a Publisher. The names in comments are the flashphoner.properties keys
 * the integrator maps from; media code never reads configuration itself.
 */
export interface IceServerOption { urls: string | string[]; username?: string; credential?: string }

export interface PublisherOptions {
  /** `ip`: the address announced in our ICE candidates (NAT, docker); defaults to the bound address */
  ip?: string;
  /** `ip_local`: the address media sockets bind to; unset = every non-loopback interface (loopback when it is the only one) */
  ipLocal?: string;
  /** `media_port_from` / `media_port_to`: the UDP range of media sockets; unset = any port */
  mediaPortFrom?: number;
  mediaPortTo?: number;
  /** STUN/TURN servers, when given */
  iceServers?: IceServerOption[];
  /** `webrtc_cc_min_bitrate` (kbit/s): the lowest rate we let the browser fall to */
  minBitrateKbps: number;
  /** `webrtc_cc_max_bitrate` (kbit/s): the rate we ask the browser to send at */
  maxBitrateKbps: number;
  /** deadline for ICE and DTLS to come up after the answer is sent */
  connectTimeoutMs: number;
  /** a connected publisher that sends nothing for this long is closed */
  mediaTimeoutMs: number;
  /** `rtcp_pli_request_interval` (ms): at most one keyframe request per interval */
  pliIntervalMs: number;
  /** `periodic_fir_request` + `periodic_fir_request_interval` (ms): 0 = no periodic requests */
  periodicKeyframeIntervalMs: number;
  /** `transcoding_disabled`: refuse publishers that send VP8/VP9 only (they need transcoding for RTMP) */
  transcodingDisabled?: boolean;
  /** how long the jitter buffer waits for a missing packet (NACK repair) before giving up, ms */
  jitterBufferLatencyMs: number;
}

/** What one publishStream asks for; overrides the settings where given (kbit/s, as the WebSDK sends them). */
export interface BitrateWish {
  bitrate?: number;
  minBitrate?: number;
  maxBitrate?: number;
}

export const defaultPublisherOptions: PublisherOptions = {
  minBitrateKbps: 300,
  maxBitrateKbps: 2500,
  connectTimeoutMs: 15000,
  mediaTimeoutMs: 10000,
  pliIntervalMs: 500,
  periodicKeyframeIntervalMs: 0,
  jitterBufferLatencyMs: 200,
};
