/**
 * Settings (flashphoner.properties) → the plain typed options each part takes.
 * The only place that knows both the WCS setting names and the parts' options.
 */
import path from 'node:path';
import type { Settings } from './config';
import type { LogLevel } from './log';
import type { LogOptions } from './ops/log';
import type { RestAuthOptions } from './rest/auth';
import type { TransponderManagerOptions } from './transponder/transponder-manager';
import { RestorePolicy } from './transponder/restore-policy';
import type { SignalingOptions } from './signaling/signaling-server';
import type { PublisherOptions } from './webrtc/publisher-options';
import { defaultPublisherOptions } from './webrtc/publisher-options';

export function publisherOptionsFrom(s: Settings): PublisherOptions {
  const iceServers: NonNullable<PublisherOptions['iceServers']> = s.iceStunServers.map((url) => ({ urls: url }));
  if (s.iceTurnServer) iceServers.push({ urls: s.iceTurnServer, username: s.iceTurnUsername, credential: s.iceTurnPassword });
  return {
    ...defaultPublisherOptions,
    ip: s.ip,
    ipLocal: s.ipLocal,
    mediaPortFrom: s.mediaPortFrom,
    mediaPortTo: s.mediaPortTo,
    iceServers: iceServers.length > 0 ? iceServers : undefined,
    // WCS gives these in bit/s; the publisher works in kbit/s.
    minBitrateKbps: Math.max(1, Math.round(s.webrtcCcMinBitrate / 1000)),
    maxBitrateKbps: Math.max(1, Math.round(s.webrtcCcMaxBitrate / 1000)),
    pliIntervalMs: s.rtcpPliRequestInterval,
    periodicKeyframeIntervalMs: s.periodicFirRequest ? s.periodicFirRequestInterval : 0,
  };
}

export function signalingOptionsFrom(s: Settings): SignalingOptions {
  const keepAliveOn = s.keepAliveAlgorithm !== 'NONE';
  return {
    port: s.wsPort,
    host: s.bindAddress,
    tls: s.wssCertFile && s.wssKeyFile ? { cert: s.wssCertFile, key: s.wssKeyFile, port: s.wssPort } : undefined,
    maxMessageBytes: s.wsMaxMessageSize,
    maxStreamsPerSession: s.maxStreamsPerSession,
    maxStreamsTotal: s.maxStreamsTotal,
    // WCS: a ping every server_interval; `probes` unanswered pings close the session.
    keepAliveIntervalMs: keepAliveOn ? s.keepAliveServerInterval : 24 * 3600 * 1000,
    keepAliveTimeoutMs: keepAliveOn ? s.keepAliveServerInterval * s.keepAliveProbes : 24 * 3600 * 1000,
    webrtc: publisherOptionsFrom(s),
  };
}

export function transponderManagerOptionsFrom(s: Settings): TransponderManagerOptions {
  return {
    streamNamePrefix: s.rtmpTransponderStreamNamePrefix,
    fullUrl: s.rtmpTransponderFullUrl,
    flashVersion: s.rtmpFlashVerSubscriber,
    sendMetadata: s.rtmpTransponderSendMetadata,
    localAddress: s.rtmpPublisherIp,
    restore: new RestorePolicy({ enabled: s.rtmpPushRestore, attempts: s.rtmpPushRestoreAttempts, intervalMs: s.rtmpPushRestoreIntervalMs }),
    outputBuffer: {
      enabled: s.rtmpOutBufferEnabled,
      startSizeMs: s.rtmpOutBufferStartSize,
      initialSizeMs: s.rtmpOutBufferInitialSize,
      pollingTimeMs: s.rtmpOutBufferPollingTime,
      maxBufferingsAllowed: s.rtmpOutBufferMaxBufferingsAllowed,
    },
    ffmpegPath: s.ffmpegPath,
    mediaDir: path.resolve(s.mediaDir),
    autoStartUrl: s.rtmpPushAutoStart ? s.rtmpPushAutoStartUrl : undefined,
    keepEndedMs: 60_000,
    maxTransponders: s.maxStreamsTotal * 4,
  };
}

export function restAuthFrom(s: Settings): RestAuthOptions {
  return { disabled: s.disableRestAuth, user: s.restAuthUser, password: s.restAuthPassword, token: s.restAuthToken };
}

/** The logger's level and format; a `--log-level` given on the command line wins over log_level. */
export function logOptionsFrom(s: Settings, cliLevel?: LogLevel): LogOptions {
  return { level: cliLevel ?? s.logLevel, format: s.logFormat };
}
