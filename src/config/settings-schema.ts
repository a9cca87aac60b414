/**
 * Every setting rtmp-transponder reads from `flashphoner.properties`, in ONE table.
 *
 * The table drives validation (each entry's value kind), defaults, the `Settings` type
 * (inferred from the table, camelCase), the startup log line (secrets masked) and the
 * shipped `flashphoner.properties` (see render-properties.ts). A WCS setting keeps its
 * WCS name and meaning; where WCS has no setting we add our own snake_case name and mark
 * it `origin: 'extension'`, which the shipped file says in the comment above the key.
 */
import {
  booleanKind,
  cidrKind,
  durationMsKind,
  hostPatternKind,
  enumKind,
  executableKind,
  httpUrlKind,
  iceUrlKind,
  integerKind,
  ipAddressKind,
  listKind,
  optionalKind,
  portKind,
  pemCertificateFileKind,
  rtmpUrlListKind,
  splitRtmpUrlList,
  stringKind,
  suffixedKind,
  suffixRecord,
  type ValueKind,
} from './value-kinds';
import { redactRtmpUrl } from '../rtmp/redact-rtmp-url';

/** `wcs`: a Web Call Server setting, same name and meaning. `extension`: ours only. */
export type SettingOrigin = 'wcs' | 'extension';

/**
 * How a value is hidden in logs and errors: `secret` hides all of it, `url` shows an RTMP
 * URL as redactRtmpUrl does (scheme, host, port and application at most).
 */
export type SettingSecrecy = 'secret' | 'url';

/**
 * What a reload (SIGHUP, POST /rest-api/settings/reload) does with a changed value:
 * `live` applies it at once without touching running pushes (it governs what starts
 * after: new pushes, new losses, new sessions, each request); `restart` reports the
 * change and keeps the running value until the service restarts (ports, addresses, TLS
 * files: what listeners and sockets were opened with).
 */
export type SettingReload = 'live' | 'restart';

export const SETTING_GROUPS = {
  rtmp: 'RTMP republishing',
  destinations: 'Where RTMP pushes may go (destination guard)',
  restore: 'Restoring a lost RTMP connection',
  outBuffer: 'RTMP output buffer',
  keyframes: 'Keyframe requests to the publishing browser',
  ports: 'Listening ports',
  rest: 'REST API',
  webrtc: 'WebRTC ingest',
  signaling: 'WebSocket signaling',
  media: 'Media processing',
  hooks: 'Who may publish: REST hooks to your backend, publish token',
  lifecycle: 'Starting and stopping',
  cluster: 'Several nodes as one server (Redis)',
  logs: 'Logs',
} as const;

export type SettingGroup = keyof typeof SETTING_GROUPS;

export interface SettingSpec<F extends string = string, T = unknown> {
  /** Property name in the file. */
  readonly key: string;
  /** Other spellings accepted for the same setting; when several appear, the last line wins (with a warning). */
  readonly aliases?: readonly string[];
  /** camelCase name in `Settings`. */
  readonly field: F;
  readonly kind: ValueKind<T>;
  readonly default: T;
  /** One line for the shipped file, saying what the setting does and why its default. */
  readonly comment: string;
  readonly origin: SettingOrigin;
  readonly group: SettingGroup;
  readonly secret?: SettingSecrecy;
  /** For settings unset by default: the value shown, commented out, in the shipped file. */
  readonly example?: string;
  /**
   * Also read as `key.<suffix>` (one value per suffix: `rest_hook_url.<appKey>`); the
   * kind is then a suffixedKind and the value a record from suffix to item.
   */
  readonly suffixed?: true;
  readonly reload: SettingReload;
}

/** Keeps each entry's field name and value type literal so `Settings` can be inferred. */
function setting<const F extends string, T>(
  spec: SettingSpec<F, T> & { readonly default: NoInfer<T> },
): SettingSpec<F, T> {
  return spec;
}

/** flashVer sent in RTMP connect when rtmp_flash_ver_subscriber is unset: what FMLE sends, which every RTMP server accepts. */
export const DEFAULT_RTMP_FLASH_VER = 'FMLE/3.0 (compatible; FMSc/1.0)';

export const KEEP_ALIVE_ALGORITHMS = ['HIGH_LEVEL', 'INTERNAL', 'NONE'] as const;
/**
 * The AAC-LC encoders the AAC host runs. The media side's own list is AAC_ENCODER_LIBRARIES
 * (config does not import media code); server.ts hands one to the other, so the compiler
 * refuses a name here that the media side does not know.
 */
export const AAC_ENCODER_NAMES = ['vo-aacenc', 'ffmpeg'] as const;
export type AacEncoderName = (typeof AAC_ENCODER_NAMES)[number];
export type KeepAliveAlgorithm = (typeof KEEP_ALIVE_ALGORITHMS)[number];

/** rest_hook_hash_algorithm: md5 is WCS's signature, sha256 ours. */
export const HOOK_HASH_ALGORITHMS = ['md5', 'sha256'] as const;
export type HookHashAlgorithmName = (typeof HOOK_HASH_ALGORITHMS)[number];
export const LOG_LEVEL_NAMES = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevelName = (typeof LOG_LEVEL_NAMES)[number];
export const LOG_FORMAT_NAMES = ['auto', 'json', 'pretty'] as const;
export type LogFormatName = (typeof LOG_FORMAT_NAMES)[number];
/** The same list under the name the reload code uses. */
export const LOG_LEVELS = LOG_LEVEL_NAMES;

export const SETTINGS = [
  // ── RTMP republishing ───────────────────────────────────────────────────────────
  setting({
    key: 'rtmp_transponder_stream_name_prefix',
    field: 'rtmpTransponderStreamNamePrefix',
    kind: stringKind(),
    default: 'rtmp_',
    comment: 'Prefix added to the published stream name to form the RTMP stream name (unless rtmp_transponder_full_url is true); empty for none.',
    origin: 'wcs',
    group: 'rtmp',
    reload: 'live',
  }),
  setting({
    key: 'rtmp_transponder_full_url',
    field: 'rtmpTransponderFullUrl',
    kind: booleanKind(),
    default: false,
    comment: 'true: rtmpUrl already ends with the RTMP stream name (e.g. a YouTube stream key) and is used as is; false: the prefixed stream name is appended.',
    origin: 'wcs',
    group: 'rtmp',
    reload: 'live',
  }),
  setting({
    key: 'rtmp_publisher_ip',
    field: 'rtmpPublisherIp',
    kind: optionalKind(ipAddressKind()),
    default: undefined,
    comment: 'Local address outgoing RTMP connections are made from; unset lets the OS choose.',
    origin: 'wcs',
    group: 'rtmp',
    reload: 'live',
    example: '192.0.2.10',
  }),
  setting({
    key: 'rtmp_transponder_send_metadata',
    field: 'rtmpTransponderSendMetadata',
    kind: booleanKind(),
    default: true,
    comment: 'Send @setDataFrame/onMetaData (size, codecs, rates) before the media; YouTube and Facebook want it.',
    origin: 'wcs',
    group: 'rtmp',
    reload: 'live',
  }),
  setting({
    key: 'rtmp_flash_ver_subscriber',
    field: 'rtmpFlashVerSubscriber',
    kind: optionalKind(stringKind({ nonEmpty: true })),
    default: undefined,
    comment: `flashVer sent in the RTMP connect command; unset sends "${DEFAULT_RTMP_FLASH_VER}". A /push/startup rtmpFlashVersion overrides it per push.`,
    origin: 'wcs',
    group: 'rtmp',
    reload: 'live',
    example: 'LNX 76.219.189.0',
  }),
  setting({
    key: 'rtmp_push_auto_start',
    field: 'rtmpPushAutoStart',
    kind: booleanKind(),
    default: false,
    comment: 'Republish every stream published over WebRTC to rtmp_push_auto_start_url as soon as it starts.',
    origin: 'wcs',
    group: 'rtmp',
    reload: 'live',
  }),
  setting({
    key: 'rtmp_push_auto_start_url',
    field: 'rtmpPushAutoStartUrl',
    kind: rtmpUrlListKind(),
    default: [],
    comment: 'RTMP/RTMPS server for rtmp_push_auto_start; required when that is true. Several, separated by commas, relay each stream to every one of them (a rtmp-transponder extension; a comma starts a new URL only before rtmp:// or rtmps://).',
    origin: 'wcs',
    group: 'rtmp',
    reload: 'live',
    secret: 'url',
    example: 'rtmp://127.0.0.1:1935/live',
  }),
  setting({
    key: 'rtmp_push_ca_file',
    field: 'rtmpPushCaFile',
    kind: optionalKind(pemCertificateFileKind()),
    default: undefined,
    comment: 'PEM file of CA certificates trusted for rtmps:// pushes in addition to the built-in ones (a private server\'s CA); read at start and at each reload.',
    origin: 'extension',
    group: 'rtmp',
    reload: 'live',
    example: '/etc/rtmp-transponder/private-ca.pem',
  }),
  setting({
    key: 'rtmp_push_tls_verify',
    field: 'rtmpPushTlsVerify',
    kind: booleanKind(),
    default: true,
    comment: 'Verify the certificate of rtmps:// servers; false accepts any certificate (a man in the middle could read the stream key) and logs a warning at every push.',
    origin: 'extension',
    group: 'rtmp',
    reload: 'live',
  }),

  // ── Destination guard (src/access/destination-guard.ts) ────────────────────────
  setting({
    key: 'rtmp_push_from_client',
    field: 'rtmpPushFromClient',
    kind: booleanKind(),
    default: true,
    comment: 'Let pages choose a relay with publishStream rtmpUrl (as WCS); false fails such a publish, so only the REST API (set disable_rest_auth=false on a public server) chooses destinations.',
    origin: 'extension',
    group: 'destinations',
    reload: 'live',
  }),
  setting({
    key: 'rtmp_push_allowed_networks',
    field: 'rtmpPushAllowedNetworks',
    kind: listKind(cidrKind(), 'a comma-separated list of networks such as 203.0.113.0/24,2001:db8::/32'),
    default: [],
    comment: 'Networks RTMP pushes may reach, judged on every address the host resolves to, at startup and each reconnect; empty allows any not denied.',
    origin: 'extension',
    group: 'destinations',
    reload: 'live',
  }),
  setting({
    key: 'rtmp_push_denied_networks',
    field: 'rtmpPushDeniedNetworks',
    kind: listKind(cidrKind(), 'a comma-separated list of networks such as 10.0.0.0/8,127.0.0.0/8'),
    default: [],
    comment: 'Networks added to the built-in denials (link-local 169.254.0.0/16 and fe80::/10, cloud metadata, the service\'s own ports); e.g. 10.0.0.0/8,172.16.0.0/12,192.168.0.0/16,127.0.0.0/8,::1/128,fc00::/7 keeps pushes off the inside network.',
    origin: 'extension',
    group: 'destinations',
    reload: 'live',
  }),
  setting({
    key: 'rtmp_push_allowed_ports',
    field: 'rtmpPushAllowedPorts',
    kind: listKind(portKind(), 'a comma-separated list of ports such as 1935,443'),
    default: [],
    comment: 'Ports RTMP pushes may reach (e.g. 1935,443); empty allows any.',
    origin: 'extension',
    group: 'destinations',
    reload: 'live',
  }),
  setting({
    key: 'rtmp_push_allowed_hosts',
    field: 'rtmpPushAllowedHosts',
    kind: listKind(hostPatternKind(), 'a comma-separated list of host names or *.domain patterns'),
    default: [],
    comment: 'Host names RTMP pushes may name, exact or *.domain (e.g. *.rtmp.youtube.com,live-api-s.facebook.com); empty allows any.',
    origin: 'extension',
    group: 'destinations',
    reload: 'live',
  }),

  // ── Restore ─────────────────────────────────────────────────────────────────────
  setting({
    key: 'rtmp_push_restore',
    field: 'rtmpPushRestore',
    kind: booleanKind(),
    default: false,
    comment: 'Reconnect to the RTMP server and publish again when the RTMP connection is lost while the WebRTC stream still runs.',
    origin: 'wcs',
    group: 'restore',
    reload: 'live',
  }),
  setting({
    key: 'rtmp_push_restore_attempts',
    field: 'rtmpPushRestoreAttempts',
    kind: integerKind({ min: -1 }),
    default: 3,
    comment: 'Reconnect attempts before the push ends as FAILED; -1 tries forever (-1 is a rtmp-transponder extension).',
    origin: 'wcs',
    group: 'restore',
    reload: 'live',
  }),
  setting({
    key: 'rtmp_push_restore_interval_ms',
    aliases: ['rtmp_push_restore_interval'],
    field: 'rtmpPushRestoreIntervalMs',
    kind: durationMsKind({ min: 0 }),
    default: 5000,
    comment: 'Pause between reconnect attempts, in milliseconds (rtmp_push_restore_interval is read too).',
    origin: 'wcs',
    group: 'restore',
    reload: 'live',
  }),

  // ── Output buffer ───────────────────────────────────────────────────────────────
  setting({
    key: 'rtmp_out_buffer_enabled',
    field: 'rtmpOutBufferEnabled',
    kind: booleanKind(),
    default: false,
    comment: 'Buffer outgoing RTMP media and send it at an even pace; off passes frames straight through (lowest latency).',
    origin: 'wcs',
    group: 'outBuffer',
    reload: 'live',
  }),
  setting({
    key: 'rtmp_out_buffer_start_size',
    field: 'rtmpOutBufferStartSize',
    kind: durationMsKind({ min: 0 }),
    default: 300,
    comment: 'Media (ms) collected before sending starts; must not exceed rtmp_out_buffer_initial_size.',
    origin: 'wcs',
    group: 'outBuffer',
    reload: 'live',
  }),
  setting({
    key: 'rtmp_out_buffer_initial_size',
    field: 'rtmpOutBufferInitialSize',
    kind: durationMsKind({ min: 0 }),
    default: 2000,
    comment: 'Largest amount of media (ms) the buffer holds.',
    origin: 'wcs',
    group: 'outBuffer',
    reload: 'live',
  }),
  setting({
    key: 'rtmp_out_buffer_polling_time',
    field: 'rtmpOutBufferPollingTime',
    kind: durationMsKind({ min: 1 }),
    default: 50,
    comment: 'How often (ms) the buffer is checked for media due to be sent.',
    origin: 'wcs',
    group: 'outBuffer',
    reload: 'live',
  }),
  setting({
    key: 'rtmp_out_buffer_max_bufferings_allowed',
    field: 'rtmpOutBufferMaxBufferingsAllowed',
    kind: integerKind({ min: -1 }),
    default: -1,
    comment: 'How many times the buffer may refill after running dry before it passes media straight through; -1 is unlimited.',
    origin: 'wcs',
    group: 'outBuffer',
    reload: 'live',
  }),

  // ── Keyframes ───────────────────────────────────────────────────────────────────
  setting({
    key: 'periodic_fir_request',
    field: 'periodicFirRequest',
    kind: booleanKind(),
    default: true,
    comment: 'Ask the browser for a keyframe every periodic_fir_request_interval. WCS ships false; we ship true because RTMP services reject streams with rare keyframes.',
    origin: 'wcs',
    group: 'keyframes',
    reload: 'live',
  }),
  setting({
    key: 'periodic_fir_request_interval',
    field: 'periodicFirRequestInterval',
    kind: durationMsKind({ min: 100 }),
    default: 2000,
    comment: 'Keyframe request period in ms. WCS uses 5000; we use 2000 so keyframes stay well inside YouTube\'s 4 s maximum.',
    origin: 'wcs',
    group: 'keyframes',
    reload: 'live',
  }),
  setting({
    key: 'transcoding_disabled',
    field: 'transcodingDisabled',
    kind: booleanKind(),
    default: false,
    comment: 'true: a publisher that offers no H.264 (VP8 or VP9 only: Firefox without OpenH264, some Android devices) is refused with FAILED "Transcoding required, but disabled", as WCS does; false: its video is transcoded to H.264 for RTMP (ffmpeg, one CPU-heavy process per push). Applies to new publishes.',
    origin: 'wcs',
    group: 'webrtc',
    reload: 'live',
  }),
  setting({
    key: 'media_workers',
    field: 'mediaWorkers',
    kind: integerKind({ min: 0, max: 256 }),
    default: 0,
    comment: 'Worker threads that receive the WebRTC media of publishers (ICE, DTLS, SRTP, jitter buffer, depacketizing), each new publisher to the least loaded, so the main thread keeps signaling, REST and the RTMP pushes; 0 receives on the main thread. Default 0: on 2 cores (8 streams) the main thread went from 16 % to 11 % of a core but the worker took 11 % and 38 MiB more; set it to cores − 1 on 4 or more cores, or when the event-loop lag grows while cores are idle.',
    origin: 'extension',
    group: 'webrtc',
    reload: 'restart',
  }),
  setting({
    key: 'rtcp_pli_request_interval',
    field: 'rtcpPliRequestInterval',
    kind: durationMsKind({ min: 0 }),
    default: 1000,
    comment: 'Smallest gap (ms) between two keyframe requests (PLI) to one publisher, whatever asks for them.',
    origin: 'wcs',
    group: 'keyframes',
    reload: 'live',
  }),

  // ── Ports ───────────────────────────────────────────────────────────────────────
  setting({
    key: 'ws.port',
    field: 'wsPort',
    kind: portKind(),
    default: 8080,
    comment: 'WebSocket signaling port for the WebSDK (ws://host:8080).',
    origin: 'wcs',
    group: 'ports',
    reload: 'restart',
  }),
  setting({
    key: 'wss.port',
    field: 'wssPort',
    kind: portKind(),
    default: 8443,
    comment: 'Secure WebSocket signaling port (wss://host:8443); listens only when wss_cert_file and wss_key_file are set.',
    origin: 'wcs',
    group: 'ports',
    reload: 'restart',
  }),
  setting({
    key: 'http.port',
    field: 'httpPort',
    kind: portKind(),
    default: 8081,
    comment: 'HTTP port of the REST API (/rest-api/push/...) and the web pages.',
    origin: 'wcs',
    group: 'ports',
    reload: 'restart',
  }),
  setting({
    key: 'bind_address',
    field: 'bindAddress',
    kind: ipAddressKind(),
    default: '0.0.0.0',
    comment: 'Address the ws, wss and HTTP listeners bind to; 127.0.0.1 keeps them local.',
    origin: 'extension',
    group: 'ports',
    reload: 'restart',
  }),
  setting({
    key: 'wss_cert_file',
    field: 'wssCertFile',
    kind: optionalKind(stringKind({ nonEmpty: true })),
    default: undefined,
    comment: 'PEM certificate chain for wss (WCS uses a Java keystore instead); set together with wss_key_file.',
    origin: 'extension',
    group: 'ports',
    reload: 'restart',
    example: '/etc/rtmp-transponder/fullchain.pem',
  }),
  setting({
    key: 'wss_key_file',
    field: 'wssKeyFile',
    kind: optionalKind(stringKind({ nonEmpty: true })),
    default: undefined,
    comment: 'PEM private key for wss; set together with wss_cert_file.',
    origin: 'extension',
    group: 'ports',
    reload: 'restart',
    example: '/etc/rtmp-transponder/privkey.pem',
  }),

  // ── REST ────────────────────────────────────────────────────────────────────────
  setting({
    key: 'disable_rest_auth',
    field: 'disableRestAuth',
    kind: booleanKind(),
    default: true,
    comment: 'true: the REST API answers anyone who can reach http.port (as WCS ships); false: it requires the credentials below.',
    origin: 'wcs',
    group: 'rest',
    reload: 'live',
  }),
  setting({
    key: 'rest_auth_user',
    field: 'restAuthUser',
    kind: optionalKind(stringKind({ nonEmpty: true })),
    default: undefined,
    comment: 'HTTP Basic user name accepted when disable_rest_auth is false; set together with rest_auth_password.',
    origin: 'extension',
    group: 'rest',
    reload: 'live',
    example: 'admin',
  }),
  setting({
    key: 'rest_auth_password',
    field: 'restAuthPassword',
    kind: optionalKind(stringKind({ raw: true, nonEmpty: true })),
    default: undefined,
    comment: 'HTTP Basic password for rest_auth_user; never logged.',
    origin: 'extension',
    group: 'rest',
    reload: 'live',
    secret: 'secret',
    example: 'change-me',
  }),
  setting({
    key: 'rest_auth_token',
    field: 'restAuthToken',
    kind: optionalKind(stringKind({ nonEmpty: true })),
    default: undefined,
    comment: 'Bearer token accepted when disable_rest_auth is false (Authorization: Bearer <token>); never logged.',
    origin: 'extension',
    group: 'rest',
    reload: 'live',
    secret: 'secret',
    example: 'a-long-random-string',
  }),
  setting({
    key: 'metrics_token',
    field: 'metricsToken',
    kind: optionalKind(stringKind({ nonEmpty: true })),
    default: undefined,
    comment: 'Bearer token for GET /metrics (a Prometheus scraper): when set, /metrics requires it (or the REST credentials when disable_rest_auth is false); never logged.',
    origin: 'extension',
    group: 'rest',
    reload: 'live',
    secret: 'secret',
    example: 'another-long-random-string',
  }),
  setting({
    key: 'rest_auth_max_failures',
    field: 'restAuthMaxFailures',
    kind: integerKind({ min: 0 }),
    default: 10,
    comment: 'Wrong REST credentials one client address (IPv6: its /64) may send per rest_auth_failure_window; past that it gets 429 with Retry-After until the window ends. 0 turns this off.',
    origin: 'extension',
    group: 'rest',
    reload: 'live',
  }),
  setting({
    key: 'rest_auth_failure_window',
    field: 'restAuthFailureWindow',
    kind: durationMsKind({ min: 1000 }),
    default: 60000,
    comment: 'Window (ms) for rest_auth_max_failures, from an address\'s first wrong credential.',
    origin: 'extension',
    group: 'rest',
    reload: 'live',
  }),
  setting({
    key: 'rest_auth_failure_max_addresses',
    field: 'restAuthFailureMaxAddresses',
    kind: integerKind({ min: 1 }),
    default: 10000,
    comment: 'Client addresses the REST failure limiter tracks at once (about 150 bytes each); more evict the oldest.',
    origin: 'extension',
    group: 'rest',
    reload: 'live',
  }),

  // ── WebRTC ──────────────────────────────────────────────────────────────────────
  setting({
    key: 'ip',
    field: 'ip',
    kind: optionalKind(ipAddressKind()),
    default: undefined,
    comment: 'Address announced to browsers in ICE candidates (the public address behind NAT); unset announces the local interface addresses.',
    origin: 'wcs',
    group: 'webrtc',
    reload: 'restart',
    example: '203.0.113.5',
  }),
  setting({
    key: 'ip_local',
    field: 'ipLocal',
    kind: optionalKind(ipAddressKind()),
    default: undefined,
    comment: 'Local address the WebRTC media sockets bind to; unset uses every interface.',
    origin: 'wcs',
    group: 'webrtc',
    reload: 'restart',
    example: '10.0.0.5',
  }),
  setting({
    key: 'media_port_from',
    field: 'mediaPortFrom',
    kind: portKind(),
    default: 31001,
    comment: 'First UDP port for WebRTC media; open media_port_from..media_port_to in the firewall.',
    origin: 'wcs',
    group: 'webrtc',
    reload: 'restart',
  }),
  setting({
    key: 'media_port_to',
    field: 'mediaPortTo',
    kind: portKind(),
    default: 32000,
    comment: 'Last UDP port for WebRTC media.',
    origin: 'wcs',
    group: 'webrtc',
    reload: 'restart',
  }),
  setting({
    key: 'webrtc_cc_min_bitrate',
    field: 'webrtcCcMinBitrate',
    kind: integerKind({ min: 0 }),
    default: 30000,
    comment: 'Publisher video bitrate (bit/s) below which the server stops asking the browser to lower it.',
    origin: 'wcs',
    group: 'webrtc',
    reload: 'live',
  }),
  setting({
    key: 'webrtc_cc_max_bitrate',
    field: 'webrtcCcMaxBitrate',
    kind: integerKind({ min: 1 }),
    default: 10000000,
    comment: 'Publisher video bitrate (bit/s) above which the server asks the browser to lower it (REMB).',
    origin: 'wcs',
    group: 'webrtc',
    reload: 'live',
  }),
  setting({
    key: 'ice_stun_servers',
    field: 'iceStunServers',
    kind: listKind(iceUrlKind(['stun', 'stuns']), 'a comma-separated list of stun:host[:port] URLs'),
    default: [],
    comment: 'STUN servers the server asks for its public address when ip is unset; empty for none.',
    origin: 'extension',
    group: 'webrtc',
    reload: 'restart',
  }),
  setting({
    key: 'ice_turn_server',
    field: 'iceTurnServer',
    kind: optionalKind(iceUrlKind(['turn', 'turns'])),
    default: undefined,
    comment: 'TURN server for relayed media when direct UDP cannot work; set with ice_turn_username and ice_turn_password.',
    origin: 'extension',
    group: 'webrtc',
    reload: 'restart',
    example: 'turn:turn.example.com:3478?transport=udp',
  }),
  setting({
    key: 'ice_turn_username',
    field: 'iceTurnUsername',
    kind: optionalKind(stringKind({ nonEmpty: true })),
    default: undefined,
    comment: 'User name for ice_turn_server.',
    origin: 'extension',
    group: 'webrtc',
    reload: 'restart',
    example: 'transponder',
  }),
  setting({
    key: 'ice_turn_password',
    field: 'iceTurnPassword',
    kind: optionalKind(stringKind({ raw: true, nonEmpty: true })),
    default: undefined,
    comment: 'Password for ice_turn_server; never logged.',
    origin: 'extension',
    group: 'webrtc',
    reload: 'restart',
    secret: 'secret',
    example: 'change-me',
  }),

  // ── Signaling ───────────────────────────────────────────────────────────────────
  // Type arguments spelled out: inferred, the words would widen to string.
  setting<'keepAliveAlgorithm', KeepAliveAlgorithm>({
    key: 'keep_alive.algorithm',
    field: 'keepAliveAlgorithm',
    kind: enumKind(KEEP_ALIVE_ALGORITHMS),
    default: 'HIGH_LEVEL',
    comment: 'WebSocket keep-alive: HIGH_LEVEL sends WCS ping/pong messages, INTERNAL WebSocket ping frames, NONE nothing.',
    origin: 'wcs',
    group: 'signaling',
    reload: 'live',
  }),
  setting({
    key: 'keep_alive.server_interval',
    field: 'keepAliveServerInterval',
    kind: durationMsKind({ min: 100 }),
    default: 5000,
    comment: 'Period (ms) of server pings; the WebSDK pingInterval option should match.',
    origin: 'wcs',
    group: 'signaling',
    reload: 'live',
  }),
  setting({
    key: 'keep_alive.probes',
    field: 'keepAliveProbes',
    kind: integerKind({ min: 1 }),
    default: 10,
    comment: 'Missed pongs in a row after which the session is closed; the WebSDK receiveProbes option should match.',
    origin: 'wcs',
    group: 'signaling',
    reload: 'live',
  }),
  setting({
    key: 'ws_max_message_size',
    field: 'wsMaxMessageSize',
    kind: integerKind({ min: 1024 }),
    default: 1048576,
    comment: 'Largest signaling message accepted, in bytes; bigger ones close the session (an SDP offer is a few kB).',
    origin: 'extension',
    group: 'signaling',
    reload: 'restart',
  }),
  setting({
    key: 'max_streams_per_session',
    field: 'maxStreamsPerSession',
    kind: integerKind({ min: 1 }),
    default: 10,
    comment: 'Streams one WebSocket session may publish at once; more are refused with FAILED.',
    origin: 'extension',
    group: 'signaling',
    reload: 'live',
  }),
  setting({
    key: 'max_streams_total',
    field: 'maxStreamsTotal',
    kind: integerKind({ min: 1 }),
    default: 50,
    comment: 'Streams the whole server accepts at once; more are refused with FAILED.',
    origin: 'extension',
    group: 'signaling',
    reload: 'live',
  }),

  setting({
    key: 'play_max_viewers_per_stream',
    field: 'playMaxViewersPerStream',
    kind: integerKind({ min: 0 }),
    default: 10,
    comment: 'Players (WebRTC playStream) one published stream may have at once; more are refused with FAILED naming this limit. 0 refuses every play.',
    origin: 'extension',
    group: 'signaling',
    reload: 'live',
  }),
  setting({
    key: 'play_max_viewers',
    field: 'playMaxViewers',
    kind: integerKind({ min: 0 }),
    default: 100,
    comment: 'Players (WebRTC playStream) the whole server serves at once; more are refused with FAILED naming this limit. Each forwards the publisher\'s media as received (no transcoding).',
    origin: 'extension',
    group: 'signaling',
    reload: 'live',
  }),
  setting({
    key: 'ws_max_sessions_per_ip',
    field: 'wsMaxSessionsPerIp',
    kind: integerKind({ min: 0 }),
    default: 20,
    comment: 'WebSocket sessions one client address (IPv6: its /64) may hold at once; more get a fail and are closed (1008). 0 for no limit.',
    origin: 'extension',
    group: 'signaling',
    reload: 'live',
  }),
  setting({
    key: 'ws_max_messages_per_second',
    field: 'wsMaxMessagesPerSecond',
    kind: integerKind({ min: 0 }),
    default: 20,
    comment: 'Signaling messages per second one session may send on average (the WebSDK sends a few); more are dropped and answered with fail. 0 for no limit.',
    origin: 'extension',
    group: 'signaling',
    reload: 'live',
  }),
  setting({
    key: 'ws_message_burst',
    field: 'wsMessageBurst',
    kind: integerKind({ min: 1 }),
    default: 40,
    comment: 'Messages a session may send at once above ws_max_messages_per_second before the limit applies.',
    origin: 'extension',
    group: 'signaling',
    reload: 'live',
  }),

  // ── Media processing ────────────────────────────────────────────────────────────
  setting({
    key: 'media_dir',
    field: 'mediaDir',
    kind: stringKind({ nonEmpty: true }),
    default: 'media',
    comment: 'Directory of the WAV files that /push/sound_on plays, relative to the working directory unless absolute.',
    origin: 'extension',
    group: 'media',
    reload: 'live',
  }),
  setting({
    key: 'aac_encoder_host',
    field: 'aacEncoderHost',
    kind: booleanKind(),
    default: true,
    comment: 'true: one process decodes the Opus and encodes the AAC of every stream (build/aac-host, built by npm install from Debian\'s libavcodec, libopus and libvo-aacenc when gcc, pkg-config, libavcodec-dev, libopus-dev and libvo-aacenc-dev are there), about 1 MiB per stream, where an ffmpeg child per stream takes 13 MiB and the Opus is decoded in the service\'s JavaScript thread; a crashed host is replaced without ending the streams. Not built: the start log says so, and each stream gets its own ffmpeg child (ffmpeg_path) as with false.',
    origin: 'extension',
    group: 'media',
    reload: 'restart',
  }),
  setting<'aacEncoder', AacEncoderName>({
    key: 'aac_encoder',
    field: 'aacEncoder',
    kind: enumKind(AAC_ENCODER_NAMES),
    default: 'vo-aacenc',
    comment: "The AAC-LC encoder the AAC host runs. vo-aacenc (VisualOn's, Debian's libvo-aacenc) gives a frame back for every 1024 samples it is handed, so a frame leaves 33 ms after its last sample; ffmpeg (libavcodec's aac, as the ffmpeg command line runs it) holds one frame more for its look-ahead, 43 ms. Video waits for audio, so both tracks leave sooner with vo-aacenc, which also takes a third less CPU. Above 320 kbit/s a stream gets ffmpeg's. Without the host (aac_encoder_host=false, or not built) every stream uses ffmpeg's.",
    origin: 'extension',
    group: 'media',
    reload: 'restart',
  }),
  setting({
    key: 'ffmpeg_path',
    field: 'ffmpegPath',
    kind: optionalKind(executableKind()),
    default: undefined,
    comment: 'ffmpeg executable to run (checked at start); unset uses the one bundled with @ffmpeg-installer/ffmpeg.',
    origin: 'extension',
    group: 'media',
    reload: 'live',
    example: '/usr/bin/ffmpeg',
  }),

  // ── Who may publish ─────────────────────────────────────────────────────────────
  setting({
    key: 'rest_hook_url',
    field: 'restHookUrls',
    kind: suffixedKind(httpUrlKind()),
    default: Object.freeze(suffixRecord<string>({})),
    comment: 'Backend asked before every connection and publish, as WCS REST hooks (POST <url>/connect, <url>/publishStream, ...), for every application key; rest_hook_url.<appKey>=URL sets it for one key (createSession({appKey}), default defaultApp). Empty: no hooks.',
    origin: 'extension',
    group: 'hooks',
    reload: 'live',
    // Shown as scheme, host, port and first path element: a backend URL may carry credentials or a token.
    secret: 'url',
    suffixed: true,
  }),
  setting({
    key: 'rest_hook_send_hash',
    field: 'restHookSendHash',
    kind: booleanKind(),
    default: false,
    comment: 'Sign every hook request: Authorization: WCS <HMAC-MD5 of the body, hex> with rest_hook_secret_key; the backend answers 403 to a wrong one.',
    origin: 'wcs',
    group: 'hooks',
    reload: 'live',
  }),
  setting({
    key: 'rest_hook_secret_key',
    field: 'restHookSecretKey',
    kind: optionalKind(stringKind({ raw: true, nonEmpty: true })),
    default: undefined,
    comment: 'Key of the hook signature (rest_hook_send_hash); never logged.',
    origin: 'wcs',
    group: 'hooks',
    reload: 'live',
    secret: 'secret',
    example: 'a-long-random-string',
  }),
  setting<'restHookHashAlgorithm', HookHashAlgorithmName>({
    key: 'rest_hook_hash_algorithm',
    field: 'restHookHashAlgorithm',
    kind: enumKind(HOOK_HASH_ALGORITHMS),
    default: 'md5',
    comment: 'md5: the WCS signature (Authorization: WCS <hex>); sha256: HMAC-SHA256 instead (Authorization: HMAC-SHA256 <hex>).',
    origin: 'extension',
    group: 'hooks',
    reload: 'live',
  }),
  setting({
    key: 'rest_hook_timeout',
    field: 'restHookTimeout',
    kind: durationMsKind({ min: 100, max: 120_000 }),
    default: 5000,
    comment: 'How long a hook request may take; a connect that times out is declined, a publishStream follows restOnError.',
    origin: 'extension',
    group: 'hooks',
    reload: 'live',
  }),
  setting({
    key: 'rest_hook_max_in_flight',
    field: 'restHookMaxInFlight',
    kind: integerKind({ min: 1, max: 1000 }),
    default: 32,
    comment: 'Hook requests open at once; more wait their turn (connect and publishStream before events).',
    origin: 'extension',
    group: 'hooks',
    reload: 'live',
  }),
  setting({
    key: 'rest_hook_event_attempts',
    field: 'restHookEventAttempts',
    kind: integerKind({ min: 1, max: 20 }),
    default: 5,
    comment: 'Tries of each event (StreamStatusEvent, ...) the backend did not take (no answer, 5xx), with a doubling pause from 500 ms; then it is dropped with a log line.',
    origin: 'extension',
    group: 'hooks',
    reload: 'live',
  }),
  setting({
    key: 'publish_token',
    field: 'publishToken',
    kind: optionalKind(stringKind({ raw: true, nonEmpty: true })),
    default: undefined,
    comment: 'When set, a page must connect with createSession({custom: {token: "<this>"}}) or its session is refused; for small setups without a backend. Never logged.',
    origin: 'extension',
    group: 'hooks',
    reload: 'live',
    secret: 'secret',
    example: 'a-long-random-string',
  }),
  setting({
    key: 'whip_token',
    field: 'whipToken',
    kind: optionalKind(stringKind({ raw: true, nonEmpty: true })),
    default: undefined,
    comment: 'When set, a WHIP publisher (OBS, GStreamer, POST /whip/<name>) must send Authorization: Bearer <this> (publish_token is accepted too when set); unset with no publish_token, WHIP is open unless the REST hooks decide. Never logged.',
    origin: 'extension',
    group: 'hooks',
    reload: 'live',
    secret: 'secret',
    example: 'another-long-random-string',
  }),
  // ── Starting and stopping ───────────────────────────────────────────────────────
  setting({
    key: 'shutdown_timeout',
    field: 'shutdownTimeout',
    kind: durationMsKind({ min: 0 }),
    default: 10_000,
    comment: 'On SIGTERM/SIGINT, how long pushes get to end cleanly (FCUnpublish, ffmpeg flushed) before what remains is torn down and the process exits 0.',
    origin: 'extension',
    group: 'lifecycle',
    reload: 'live',
  }),
  // ── Cluster ─────────────────────────────────────────────────────────────────────
  setting({
    key: 'cluster_redis_url',
    field: 'clusterRedisUrl',
    kind: optionalKind(stringKind({ nonEmpty: true })),
    default: undefined,
    comment: 'redis://[user:password@]host:port/db of the Redis that nodes share (node registry, stream names, transponder index). Empty: standalone, nothing connects to Redis.',
    origin: 'extension',
    group: 'cluster',
    reload: 'restart',
    // May carry a password.
    secret: 'secret',
    example: 'redis://127.0.0.1:6379/0',
  }),
  setting({
    key: 'cluster_advertise_url',
    field: 'clusterAdvertiseUrl',
    kind: optionalKind(httpUrlKind()),
    default: undefined,
    comment: 'The REST address other nodes reach this node at (forwarded /push calls). Empty: http://<ip>:<http.port>.',
    origin: 'extension',
    group: 'cluster',
    reload: 'restart',
    example: 'http://10.0.0.11:8081',
  }),
  setting({
    key: 'cluster_lease_ms',
    field: 'clusterLeaseMs',
    kind: durationMsKind({ min: 1000, max: 600_000 }),
    default: 10_000,
    comment: 'How long a node and its stream names live in Redis without a heartbeat (renewed every third of it): a node that dies frees its names after this.',
    origin: 'extension',
    group: 'cluster',
    reload: 'restart',
  }),
  setting({
    key: 'cluster_secret',
    field: 'clusterSecret',
    kind: optionalKind(stringKind({ nonEmpty: true })),
    default: undefined,
    comment: 'Shared by every node: authenticates the calls nodes make to each other (forwarded /push requests). Required with cluster_redis_url; never logged.',
    origin: 'extension',
    group: 'cluster',
    reload: 'restart',
    secret: 'secret',
    example: 'a-long-random-string-shared-by-the-nodes',
  }),
  // ── Logs ────────────────────────────────────────────────────────────────────────
  setting<'logLevel', LogLevelName>({
    key: 'log_level',
    field: 'logLevel',
    kind: enumKind(LOG_LEVEL_NAMES),
    default: 'info',
    comment: 'Least severe log lines written: debug, info, warn or error; the --log-level command-line option overrides it. Changes live on reload.',
    origin: 'extension',
    group: 'logs',
    reload: 'live',
  }),
  setting<'logFormat', LogFormatName>({
    key: 'log_format',
    field: 'logFormat',
    kind: enumKind(LOG_FORMAT_NAMES),
    default: 'auto',
    comment: 'json: one JSON object a line, for a log collector; pretty: one readable line an event; auto: pretty when stdout is a terminal, else json.',
    origin: 'extension',
    group: 'logs',
    reload: 'restart',
  }),
] as const;

type SettingsTable = typeof SETTINGS;
export type AnySettingSpec = SettingsTable[number];

/** Every supported setting, camelCase, as loaded (defaults filled in). */
export type Settings = { -readonly [S in AnySettingSpec as S['field']]: S['default'] };

export type SettingField = keyof Settings;

/** A fresh copy of the defaults (lists are new arrays, so callers may change them). */
export function defaultSettings(): Settings {
  const out: Record<string, unknown> = {};
  for (const spec of SETTINGS) {
    const d: unknown = spec.default;
    out[spec.field] = Array.isArray(d) ? [...d] : d;
  }
  return out as Settings;
}

/** The spec of each accepted property name (keys and aliases); a Map, so odd keys like `__proto__` are harmless. */
export const SPEC_BY_KEY: ReadonlyMap<string, AnySettingSpec> = new Map(
  SETTINGS.flatMap((spec): [string, AnySettingSpec][] => [
    [spec.key, spec],
    ...(spec.aliases ?? []).map((a): [string, AnySettingSpec] => [a, spec]),
  ]),
);

/** Hides secrets: `***` for passwords and tokens; RTMP URLs by the one rule of src/rtmp/redact-rtmp-url.ts. */
export function maskValue(secrecy: SettingSecrecy | undefined, text: string): string {
  if (secrecy === undefined || text.length === 0) return text;
  if (secrecy === 'secret') return '***';
  return splitRtmpUrlList(text).map(redactRtmpUrl).join(',');
}

/** A rule between settings that one value alone cannot express; `keys[0]` is blamed. */
export interface CrossFieldIssue {
  keys: [string, ...string[]];
  message: string;
}

/** Rules spanning several settings. Rules about disabled features only apply when enabled. */
export function crossFieldIssues(s: Settings): CrossFieldIssue[] {
  const issues: CrossFieldIssue[] = [];

  if (s.mediaPortFrom > s.mediaPortTo) {
    issues.push({
      keys: ['media_port_from', 'media_port_to'],
      message: `must not be greater than media_port_to (${s.mediaPortTo})`,
    });
  }

  const ports: [string, number][] = [
    ['ws.port', s.wsPort],
    ['wss.port', s.wssPort],
    ['http.port', s.httpPort],
  ];
  for (let i = 0; i < ports.length; i++) {
    for (let j = i + 1; j < ports.length; j++) {
      const [a, pa] = ports[i]!;
      const [b, pb] = ports[j]!;
      if (pa === pb) issues.push({ keys: [b, a], message: `is the same port as ${a} (${pa})` });
    }
  }

  if ((s.wssCertFile === undefined) !== (s.wssKeyFile === undefined)) {
    const missing = s.wssCertFile === undefined ? 'wss_cert_file' : 'wss_key_file';
    const given = s.wssCertFile === undefined ? 'wss_key_file' : 'wss_cert_file';
    issues.push({ keys: [given, missing], message: `needs ${missing} too: wss needs both a certificate and a key` });
  }

  if (s.rtmpPushAutoStart && s.rtmpPushAutoStartUrl.length === 0) {
    issues.push({
      keys: ['rtmp_push_auto_start', 'rtmp_push_auto_start_url'],
      message: 'is true but rtmp_push_auto_start_url is not set (expected an rtmp:// or rtmps:// URL)',
    });
  }

  if (s.rtmpOutBufferEnabled && s.rtmpOutBufferStartSize > s.rtmpOutBufferInitialSize) {
    issues.push({
      keys: ['rtmp_out_buffer_start_size', 'rtmp_out_buffer_initial_size'],
      message: `must not be greater than rtmp_out_buffer_initial_size (${s.rtmpOutBufferInitialSize}), the largest the buffer gets`,
    });
  }

  if (s.webrtcCcMinBitrate > s.webrtcCcMaxBitrate) {
    issues.push({
      keys: ['webrtc_cc_min_bitrate', 'webrtc_cc_max_bitrate'],
      message: `must not be greater than webrtc_cc_max_bitrate (${s.webrtcCcMaxBitrate})`,
    });
  }

  if ((s.restAuthUser === undefined) !== (s.restAuthPassword === undefined)) {
    const given = s.restAuthUser === undefined ? 'rest_auth_password' : 'rest_auth_user';
    const missing = s.restAuthUser === undefined ? 'rest_auth_user' : 'rest_auth_password';
    issues.push({ keys: [given, missing], message: `needs ${missing} too` });
  }
  if (!s.disableRestAuth && s.restAuthUser === undefined && s.restAuthToken === undefined) {
    issues.push({
      keys: ['disable_rest_auth', 'rest_auth_user', 'rest_auth_password', 'rest_auth_token'],
      message: 'is false but no credentials are set: set rest_auth_user and rest_auth_password, or rest_auth_token',
    });
  }

  if (s.clusterRedisUrl !== undefined && s.clusterSecret === undefined) {
    issues.push({ keys: ['cluster_redis_url', 'cluster_secret'], message: 'is set but cluster_secret is not: nodes could not authenticate their calls to each other' });
  }

  if (s.restHookSendHash && s.restHookSecretKey === undefined) {
    issues.push({ keys: ['rest_hook_send_hash', 'rest_hook_secret_key'], message: 'is true but rest_hook_secret_key is not set' });
  }

  const turnParts = [s.iceTurnServer, s.iceTurnUsername, s.iceTurnPassword];
  if (turnParts.some((p) => p !== undefined) && turnParts.some((p) => p === undefined)) {
    const names: [string, string | undefined][] = [
      ['ice_turn_server', s.iceTurnServer],
      ['ice_turn_username', s.iceTurnUsername],
      ['ice_turn_password', s.iceTurnPassword],
    ];
    const given = names.filter(([, v]) => v !== undefined).map(([k]) => k);
    const missing = names.filter(([, v]) => v === undefined).map(([k]) => k);
    issues.push({ keys: [given[0]!, ...missing], message: `needs ${missing.join(' and ')} too` });
  }

  return issues;
}
