/**
 * Plain settings of WebRTC playback. The names in comments are the flashphoner.properties
 * keys the integrator maps from; media code never reads configuration itself.
 */
import type { PublisherOptions } from '../webrtc/publisher-options';

/** Limits a settings reload may change while viewers play (Playback.update). */
export interface PlaybackLimits {
  /** `play_max_viewers_per_stream` [extension]: players of one stream at once */
  maxViewersPerStream: number;
  /** `play_max_viewers` [extension]: players across every stream at once */
  maxViewersTotal: number;
}

export interface PlaybackOptions extends PlaybackLimits {
  /** how long a sent packet is kept to answer the viewer's NACKs, ms */
  retransmissionCacheMs: number;
  /** while a viewer waits for its first keyframe, the publisher is asked again this often, ms */
  keyframeRetryMs: number;
  /** how often each viewer stream gets an RTCP sender report, ms */
  senderReportIntervalMs: number;
}

/** The network settings a viewer's peer connection shares with publishers. */
export type ViewerNetworkOptions = Pick<PublisherOptions, 'ip' | 'ipLocal' | 'mediaPortFrom' | 'mediaPortTo' | 'iceServers' | 'connectTimeoutMs'>;

export const defaultPlaybackOptions: PlaybackOptions = {
  maxViewersPerStream: 10,
  maxViewersTotal: 100,
  retransmissionCacheMs: 1000,
  keyframeRetryMs: 1000,
  senderReportIntervalMs: 1000,
};
