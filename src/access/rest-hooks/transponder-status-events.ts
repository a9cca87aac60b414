/**
 * Our extension: TransponderStatusEvent to the backend of the stream's application key on
 * every state change of a transponder (created PENDING, CONNECTING, PUBLISHING,
 * RESTORING, TERMINATED, FAILED), so an app can show "live on YouTube" and alert on
 * FAILED. The destination is shown as redactRtmpUrl shows it (never a stream key, a
 * password or a query); the published name is not sent (with a full URL it is the key).
 */
import { redactRtmpUrl } from '../../rtmp/redact-rtmp-url';
import type { RestHookClient } from './rest-hook-client';

/** What is watched of a transponder (src/transponder/transponder.ts has it). */
export interface WatchedTransponder {
  readonly mediaSessionId: string;
  readonly state: string;
  on(event: 'state', listener: (state: string, reason: string) => void): unknown;
  off(event: 'state', listener: (state: string, reason: string) => void): unknown;
  snapshot(): { reason: string; stats: object };
}

export interface TransponderOrigin {
  nodeId: string;
  appKey: string;
  sessionId?: string;
  /** the WebRTC stream it relays */
  streamName: string;
  rtmpUrl: string;
}

const ENDED = new Set(['TERMINATED', 'FAILED']);

export function watchTransponder(client: RestHookClient, transponder: WatchedTransponder, origin: TransponderOrigin): void {
  if (client.urlFor(origin.appKey) === undefined) return;
  const rtmpUrl = redactRtmpUrl(origin.rtmpUrl);
  const send = (status: string, reason: string): void => {
    client.notify(origin.appKey, 'TransponderStatusEvent', {
      nodeId: origin.nodeId,
      appKey: origin.appKey,
      ...(origin.sessionId ? { sessionId: origin.sessionId } : {}),
      mediaSessionId: transponder.mediaSessionId,
      streamName: origin.streamName,
      rtmpUrl,
      status,
      reason,
      stats: transponder.snapshot().stats,
    }, `transponder:${transponder.mediaSessionId}`);
  };
  const onState = (state: string, reason: string): void => {
    send(state, reason);
    if (ENDED.has(state)) transponder.off('state', onState);
  };
  transponder.on('state', onState);
  send(transponder.state, transponder.snapshot().reason);
}
