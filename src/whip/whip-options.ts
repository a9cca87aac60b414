import type { PublisherOptions } from '../webrtc/publisher-options';

/** Plain settings of the WHIP endpoint (the integrator maps them from flashphoner.properties). */
export interface WhipOptions {
  /** Bearer tokens a publisher may send: whip_token, and publish_token when set. Empty: no token asked. */
  tokens: string[];
  /** rtmp_push_from_client: whether `?rtmpUrl=` may choose a relay */
  rtmpPushFromClient: boolean;
  /** max_streams_total, shared with the WebSocket path */
  maxStreamsTotal: number;
  /** the same as the WebSocket path's (ICE servers, ports, bitrates, the ICE connect deadline) */
  webrtc: PublisherOptions;
}
