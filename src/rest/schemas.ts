/**
 * zod schemas of the /rest-api/push/* request bodies (validation and types from one
 * source), the translation of a zod failure into our error, and the JSON shape of a
 * transponder in answers.
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
import { checkPictureSize, TRANSCODE_REQUEST_FIELDS } from '../transponder/transcode-params';
import { RestError } from './errors';

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
const mediaSessionId = z.string().min(1).max(LIMITS.mediaSessionIdLength).regex(NO_CONTROL, 'contains control characters');
const rtmpUrl = z.string().min(1).max(LIMITS.rtmpUrlLength);
const soundFile = z.string().min(1).max(LIMITS.soundFileLength).regex(NO_CONTROL, 'contains control characters');

const StartupOptionsSchema = z
  .object({
    action: optional(z.enum(['mute', 'sound_on'])),
    soundFile: optional(soundFile),
    loop: optional(z.boolean()),
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
    streamName,
    rtmpUrl,
    rtmpTransponderFullUrl: optional(z.boolean()),
    rtmpFlashVersion: optional(z.string().max(LIMITS.flashVersionLength).regex(NO_CONTROL, 'contains control characters')),
    // The transcode fields and their bounds are the transponder's one schema.
    ...TRANSCODE_REQUEST_FIELDS,
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
  .object({ streamName: optional(z.string().max(LIMITS.streamNameLength)), rtmpUrl: optional(z.string().max(LIMITS.rtmpUrlLength)) })
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
  loop: optional(z.boolean()).transform((v) => v ?? false),
});

// ---------------------------------------------------------------------------
// zod failure → our error

/** The first problem of a failed parse, as a 400 naming the field; never echoes the value. */
export function validationError(error: z.ZodError): RestError {
  const issue = error.issues[0];
  if (!issue) return new RestError('INVALID_PARAMETER', 'Invalid body');
  const field = issue.path.map(String).join('.');
  const name = field || 'body';
  // Every rtmpUrl problem (missing, wrong type, bad shape) gets the one code clients test for.
  const code = issue.path[0] === 'rtmpUrl' ? 'INVALID_RTMP_URL' : 'INVALID_PARAMETER';
  return new RestError(code, describeIssue(name, issue), field || undefined);
}

function describeIssue(name: string, issue: z.core.$ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      if (issue.input === undefined) return `${name} is required`;
      if (issue.expected === 'int') return `${name} must be an integer`;
      if (issue.expected === 'number' && typeof issue.input === 'number') return `${name} must be a finite number`;
      return `${name} must be ${article(issue.expected)} ${issue.expected}, not ${describeType(issue.input)}`;
    case 'too_small':
      if (issue.origin === 'string') return issue.minimum === 1 ? `${name} must not be empty` : `${name} must have at least ${issue.minimum} characters`;
      return `${name} must be at least ${issue.minimum}`;
    case 'too_big':
      if (issue.origin === 'string') return `${name} must have at most ${issue.maximum} characters`;
      return `${name} must be at most ${issue.maximum}`;
    case 'invalid_value':
      return `${name} must be one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'invalid_format':
      return `${name} ${issue.message}`;
    case 'custom':
      return issue.message;
    default:
      return `${name} is invalid`;
  }
}

function article(word: string): string {
  return /^[aeiou]/i.test(word) ? 'an' : 'a';
}

function describeType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  const t = typeof v;
  return `${article(t)} ${t}`;
}

/**
 * Parses a request body with a route's schema. A missing body counts as `{}`, so the
 * answer names the first required field rather than "no body".
 */
export function parseBody<S extends z.ZodType>(schema: S, body: unknown): z.output<S> {
  const r = schema.safeParse(body ?? {}, { reportInput: true });
  if (!r.success) throw validationError(r.error);
  return r.data;
}

// ---------------------------------------------------------------------------
// Answers

/** A transponder as the API shows it: the WCS fields first, in WCS order, then ours. */
export interface TransponderJson {
  mediaSessionId: string;
  streamName: string;
  rtmpUrl: string;
  width: number;
  height: number;
  muted: boolean;
  soundEnabled: boolean;
  options: Record<string, unknown>;
  status: TransponderState;
  transcoding: boolean;
  sourceStreamName?: string;
  createdAt: number;
  reason?: string;
  stats: TransponderStats;
}

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
