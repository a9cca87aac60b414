/**
 * Settings (flashphoner.properties) → the plain typed options each part takes.
 * The only place that knows both the WCS setting names and the parts' options.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Settings } from './config';
import { EVERY_APP_KEY, type PublishAccessOptions } from './access';
import { EVERY_SUFFIX } from './config/value-kinds';
import type { LogLevel } from './log';
import type { LogOptions } from './ops/log';
import type { RestAuthOptions } from './rest/auth';
import type { AuthFailureLimiterOptions } from './rest/auth-failure-limiter';
import type { TransponderManagerOptions } from './transponder/transponder-manager';
import { RestorePolicy } from './transponder/restore-policy';
import type { SignalingOptions } from './signaling/signaling-server';
import type { PublisherOptions } from './webrtc/publisher-options';
import type { WhipOptions } from './whip';
import { defaultPlaybackOptions, type PlaybackOptions } from './playback';
import type { DestinationRules } from './access';
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
    transcodingDisabled: s.transcodingDisabled,
  };
}

/** `media_workers`: how many worker threads receive publishers' media; 0 = on the main thread. */
export function mediaWorkerCountFrom(s: Settings): number {
  return s.mediaWorkers;
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
    maxSessionsPerAddress: s.wsMaxSessionsPerIp,
    maxMessagesPerSecond: s.wsMaxMessagesPerSecond,
    messageBurst: s.wsMessageBurst,
    rtmpPushFromClient: s.rtmpPushFromClient,
  };
}

/** WHIP ingest (reloadable: WhipEndpoint.update takes the same). */
export function whipOptionsFrom(s: Settings): WhipOptions {
  return {
    tokens: [s.whipToken, s.publishToken].filter((t): t is string => t !== undefined),
    rtmpPushFromClient: s.rtmpPushFromClient,
    maxStreamsTotal: s.maxStreamsTotal,
    webrtc: publisherOptionsFrom(s),
  };
}

/** WebRTC playback (reloadable: Playback.update takes the limits). */
export function playbackOptionsFrom(s: Settings): PlaybackOptions {
  return {
    ...defaultPlaybackOptions,
    maxViewersPerStream: s.playMaxViewersPerStream,
    maxViewersTotal: s.playMaxViewers,
  };
}

/** The destination guard's rules (reloadable: DestinationGuard.update takes the same). */
export function destinationRulesFrom(s: Settings): DestinationRules {
  return {
    allowedNetworks: s.rtmpPushAllowedNetworks,
    deniedNetworks: s.rtmpPushDeniedNetworks,
    allowedPorts: s.rtmpPushAllowedPorts,
    allowedHosts: s.rtmpPushAllowedHosts,
  };
}

/** The ports the service listens on by its settings (the bound ones are added once listening). */
export function ownPortsFrom(s: Settings): number[] {
  const ports = [s.httpPort, s.wsPort];
  if (s.wssCertFile && s.wssKeyFile) ports.push(s.wssPort);
  return ports.filter((p) => p > 0);
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
    autoStartUrls: s.rtmpPushAutoStart ? s.rtmpPushAutoStartUrl : [],
    tls: rtmpsTlsFrom(s),
    keepEndedMs: 60_000,
    maxTransponders: s.maxStreamsTotal * 4,
  };
}

export function restAuthFrom(s: Settings): RestAuthOptions {
  return { disabled: s.disableRestAuth, user: s.restAuthUser, password: s.restAuthPassword, token: s.restAuthToken };
}

export function authFailureLimiterOptionsFrom(s: Settings): AuthFailureLimiterOptions {
  return { maxFailures: s.restAuthMaxFailures, windowMs: s.restAuthFailureWindow, maxAddresses: s.restAuthFailureMaxAddresses };
}

/** Who may publish: publish_token, rest_hook_* (rest_hook_url.<appKey> per application key). */
export function publishAccessOptionsFrom(s: Settings, nodeId: string): PublishAccessOptions {
  const urls = new Map<string, string>();
  for (const [suffix, url] of Object.entries(s.restHookUrls)) urls.set(suffix === EVERY_SUFFIX ? EVERY_APP_KEY : suffix, url);
  return {
    nodeId,
    publishToken: s.publishToken,
    hooks: {
      urls,
      signing: s.restHookSendHash && s.restHookSecretKey !== undefined ? { key: s.restHookSecretKey, algorithm: s.restHookHashAlgorithm } : undefined,
      timeoutMs: s.restHookTimeout,
      maxInFlight: s.restHookMaxInFlight,
      eventAttempts: s.restHookEventAttempts,
    },
  };
}

/**
 * TLS of rtmps:// pushes. rtmp_push_ca_file adds CAs to the built-in ones; since giving
 * Node a CA list replaces its default store (where NODE_EXTRA_CA_CERTS went), the
 * certificates of NODE_EXTRA_CA_CERTS are added again here. Reads the files: throws
 * when one cannot be read (the settings loader checked the CA file already).
 */
export function rtmpsTlsFrom(s: Settings): TransponderManagerOptions['tls'] {
  if (s.rtmpPushCaFile === undefined && s.rtmpPushTlsVerify) return undefined;
  const pems: string[] = [];
  if (s.rtmpPushCaFile !== undefined) {
    const extra = process.env.NODE_EXTRA_CA_CERTS;
    if (extra) pems.push(readFileSync(extra, 'latin1'));
    pems.push(readFileSync(s.rtmpPushCaFile, 'latin1'));
  }
  return { ca: pems.length > 0 ? pems.join('\n') : undefined, rejectUnauthorized: s.rtmpPushTlsVerify };
}

/** The logger's level and format; a `--log-level` given on the command line wins over log_level. */
export function logOptionsFrom(s: Settings, cliLevel?: LogLevel): LogOptions {
  return { level: cliLevel ?? s.logLevel, format: s.logFormat };
}

/** The cluster (src/cluster/), or undefined standalone: nothing connects to Redis without cluster_redis_url. */
export interface ClusterSettings {
  redisUrl: string;
  /** Absent: http://<ip>:<bound http port>. */
  advertiseUrl?: string;
  leaseMs: number;
  secret: string;
}

export function clusterSettingsFrom(s: Settings): ClusterSettings | undefined {
  if (s.clusterRedisUrl === undefined) return undefined;
  // The settings check refuses cluster_redis_url without cluster_secret; an embedded caller gets the same refusal here.
  if (s.clusterSecret === undefined) throw new Error('cluster_redis_url is set but cluster_secret is not');
  return { redisUrl: s.clusterRedisUrl, advertiseUrl: s.clusterAdvertiseUrl, leaseMs: s.clusterLeaseMs, secret: s.clusterSecret };
}
