/**
 * zod schemas of the /rest-api/push/* request bodies and answers: validation, types and
 * the OpenAPI document from one source. A failed parse becomes our error in
 * validation-error.ts.
 *
 * Conventions, chosen to match what WCS clients send:
 * - unknown fields are dropped (WCS ignores them); a known field of the wrong type is a 400;
 * - `null` in an optional field means "not given" (Java clients serialise absent values so);
 * - messages name the field and never echo its value (rtmpUrl carries the stream key).
 */
import { z } from 'zod';
import { parseRtmpUrl, RtmpUrlError } from '../rtmp/rtmp-url';
import type {
  StartupOptions,
  StartupRequest,
  TransponderFilter,
  TransponderInfo,
  TransponderState,
  TransponderStats,
} from '../transponder/transponder-api';
import { checkPictureSize, TRANSCODE_LIMITS, TRANSCODE_REQUEST_FIELDS, type TranscodeField } from '../transponder/transcode-params';
import { zodValidationError } from './validation-error';

export const LIMITS = {
  streamNameLength: 256,
  rtmpUrlLength: 4096,
  flashVersionLength: 256,
  soundFileLength: 1024,
  mediaSessionIdLength: 256,
} as const;

/** A string the client may omit or send as null. */
function optional<T extends z.ZodType>(schema: T) {
  return schema.nullish().transform((v) => v ?? undefined);
}

// Control characters in names end up in RTMP commands and log lines: refuse them.
const NO_CONTROL = /^[^\u0000-\u001f\u007f]*$/;

const streamName = z.string().min(1).max(LIMITS.streamNameLength).regex(NO_CONTROL, 'contains control characters');
const mediaSessionId = z
  .string()
  .min(1)
  .max(LIMITS.mediaSessionIdLength)
  .regex(NO_CONTROL, 'contains control characters')
  .describe('The transponder, as startup and find answer it');
const rtmpUrl = z.string().min(1).max(LIMITS.rtmpUrlLength);
const soundFile = z
  .string()
  .min(1)
  .max(LIMITS.soundFileLength)
  .regex(NO_CONTROL, 'contains control characters')
  .describe('A WAV file (16-bit PCM) inside the media directory');

/**
 * A transcode field of the transponder's one schema, described for the document from the
 * same bounds (a description changes nothing of the validation).
 */
function transcodeField(field: TranscodeField) {
  const { min, max, unit } = TRANSCODE_LIMITS[field];
  return TRANSCODE_REQUEST_FIELDS[field].describe(`An integer from ${min} to ${max} ${unit}; 0 or null: not set`);
}

const StartupOptionsSchema = z
  .object({
    action: optional(z.enum(['mute', 'sound_on'])).describe('mute: start muted; sound_on: mix soundFile in from the start'),
    soundFile: optional(soundFile).describe('Required with action sound_on'),
    loop: optional(z.boolean()).describe('With sound_on: play the file in a loop (default false)'),
  })
  .superRefine((o, ctx) => {
    if (o.action === 'sound_on' && o.soundFile === undefined) {
      ctx.addIssue({ code: 'custom', path: ['soundFile'], message: 'options.soundFile is required when options.action is "sound_on"' });
    }
  })
  .transform((o): StartupOptions => {
    if (o.action === 'mute') return { action: 'mute' };
    if (o.action === 'sound_on') return { action: 'sound_on', soundFile: o.soundFile ?? '', loop: o.loop ?? false };
    return {};
  });

export const StartupBody = z
  .object({
    streamName: streamName.describe('The published stream to relay'),
    rtmpUrl: rtmpUrl.describe('rtmp:// or rtmps:// destination: the application URL, or with rtmpTransponderFullUrl the full URL with the stream name (key)'),
    rtmpTransponderFullUrl: optional(z.boolean()).describe('true: rtmpUrl ends with the stream name; default: the rtmp_transponder_full_url setting'),
    rtmpFlashVersion: optional(z.string().max(LIMITS.flashVersionLength).regex(NO_CONTROL, 'contains control characters')).describe(
      'flashVer sent in the RTMP connect command',
    ),
    // The transcode fields and their bounds are the transponder's one schema.
    width: transcodeField('width'),
    height: transcodeField('height'),
    fps: transcodeField('fps'),
    bitrate: transcodeField('bitrate'),
    keyFrameInterval: transcodeField('keyFrameInterval'),
    options: optional(StartupOptionsSchema),
  })
  .superRefine((b, ctx) => {
    checkPictureSize(b, ctx);
    // The shape of the URL is checked here so a typo is a 400 before anything starts;
    // DNS and the server's own rules are the implementation's part.
    try {
      parseRtmpUrl(b.rtmpUrl, { fullUrl: b.rtmpTransponderFullUrl ?? false, streamName: b.streamName });
    } catch (err) {
      if (!(err instanceof RtmpUrlError)) throw err;
      ctx.addIssue({ code: 'custom', path: ['rtmpUrl'], message: err.message });
    }
  })
  .transform((b): StartupRequest => {
    const req: StartupRequest = { streamName: b.streamName, rtmpUrl: b.rtmpUrl };
    if (b.rtmpTransponderFullUrl !== undefined) req.rtmpTransponderFullUrl = b.rtmpTransponderFullUrl;
    if (b.rtmpFlashVersion !== undefined) req.rtmpFlashVersion = b.rtmpFlashVersion;
    if (b.width !== undefined) req.width = b.width;
    if (b.height !== undefined) req.height = b.height;
    if (b.fps !== undefined) req.fps = b.fps;
    if (b.bitrate !== undefined) req.bitrate = b.bitrate;
    if (b.keyFrameInterval !== undefined) req.keyFrameInterval = b.keyFrameInterval;
    if (b.options !== undefined) req.options = b.options;
    return req;
  });

export const FindBody = z
  .object({
    streamName: optional(z.string().max(LIMITS.streamNameLength)).describe('The source stream; empty or absent: any'),
    rtmpUrl: optional(z.string().max(LIMITS.rtmpUrlLength)).describe('The rtmpUrl given at startup; empty or absent: any'),
  })
  .transform((b): TransponderFilter => {
    const filter: TransponderFilter = {};
    // WCS clients send "" for "any": an empty string filters nothing.
    if (b.streamName) filter.streamName = b.streamName;
    if (b.rtmpUrl) filter.rtmpUrl = b.rtmpUrl;
    return filter;
  });

/** find_all takes no fields; anything sent is ignored. */
export const FindAllBody = z.object({});

export const SessionBody = z.object({ mediaSessionId });

export const SoundOnBody = z.object({
  mediaSessionId,
  soundFile,
  loop: optional(z.boolean())
    .transform((v) => v ?? false)
    .describe('Play the file in a loop (default false)'),
});

/**
 * Parses a value with a schema outside a route's declared body (a route's own body is
 * validated by fastify before its handler runs). A missing value counts as `{}`, so the
 * answer names the first required field rather than "no body".
 */
export function parseBody<S extends z.ZodType>(schema: S, body: unknown): z.output<S> {
  const input = body ?? {};
  const r = schema.safeParse(input);
  if (!r.success) throw zodValidationError(r.error, input);
  return r.data;
}

// ---------------------------------------------------------------------------
// Answers

/** Compile-time check that a schema and an interface have the same fields, of the same types. */
type SameShape<A, B> = [A, keyof A] extends [B, keyof B] ? ([B, keyof B] extends [A, keyof A] ? true : false) : false;

const TRANSPONDER_STATES = ['PENDING', 'CONNECTING', 'PUBLISHING', 'RESTORING', 'TERMINATED', 'FAILED'] as const;
const TransponderStateSchema = z
  .enum(TRANSPONDER_STATES)
  .describe('PENDING → CONNECTING → PUBLISHING ⇄ RESTORING → TERMINATED | FAILED; TERMINATED and FAILED never change again');
true satisfies SameShape<z.output<typeof TransponderStateSchema>, TransponderState>;

const count = () => z.number().int().nonnegative();

export const TransponderStatsSchema = z
  .object({
    bytesSent: count(),
    bitrateKbps: z.number().nonnegative(),
    framesSent: count(),
    videoFramesSent: count().describe('Of framesSent: video frames'),
    framesDropped: count(),
    videoFramesDropped: count().describe('Of framesDropped: non-key video frames given up for a slow server'),
    audioFramesDropped: count().describe('Of framesDropped: audio frames'),
    queuedBytes: count().describe('Bytes of tags waiting for a slow server'),
    serverLagMs: z.number().optional().describe('How far behind the RTMP server is, in media ms, from its acknowledgements (absent until it acknowledges)'),
    lagHolds: count().describe('Times the push held media back because the server fell more than 2 s behind'),
    restoreAttempts: count().describe('Restore attempts in the current outage (0 while publishing)'),
    restores: count().describe('Losses of the RTMP connection recovered from'),
    bufferMs: z.number().nonnegative().describe('Output buffer level'),
    lastError: z.string().optional(),
  })
  .meta({ id: 'TransponderStats' });
true satisfies SameShape<z.output<typeof TransponderStatsSchema>, TransponderStats>;

/** A transponder as the API shows it: the WCS fields first, in WCS order, then ours (the serializer keeps this order). */
export const TransponderSchema = z
  .object({
    mediaSessionId: z.string(),
    streamName: z.string().describe('The name published at the RTMP server, e.g. rtmp_cam1'),
    rtmpUrl: z.string(),
    width: z.number(),
    height: z.number(),
    muted: z.boolean(),
    soundEnabled: z.boolean(),
    options: z.record(z.string(), z.unknown()).describe('The startup options'),
    status: TransponderStateSchema,
    transcoding: z.boolean(),
    sourceStreamName: z.string().optional().describe('The published (source) stream, e.g. cam1'),
    createdAt: z.number().describe('Epoch milliseconds'),
    reason: z.string().optional().describe('Why it ended, or the last problem while RESTORING'),
    stats: TransponderStatsSchema,
  })
  .meta({ id: 'Transponder', description: 'A transponder: one stream relayed to one RTMP URL' });
true satisfies SameShape<z.output<typeof TransponderSchema>, TransponderInfo>;

export type TransponderJson = z.output<typeof TransponderSchema>;

export function toTransponderJson(info: TransponderInfo): TransponderJson {
  const json: TransponderJson = {
    mediaSessionId: info.mediaSessionId,
    streamName: info.streamName,
    rtmpUrl: info.rtmpUrl,
    width: info.width,
    height: info.height,
    muted: info.muted,
    soundEnabled: info.soundEnabled,
    options: info.options,
    status: info.status,
    transcoding: info.transcoding,
    createdAt: info.createdAt,
    stats: { ...info.stats },
  };
  if (info.sourceStreamName !== undefined) json.sourceStreamName = info.sourceStreamName;
  if (info.reason !== undefined) json.reason = info.reason;
  // Keep the documented order: optional fields go before stats.
  const { stats, ...head } = json;
  return { ...head, stats };
}
