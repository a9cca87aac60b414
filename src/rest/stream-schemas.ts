/**
 * zod schemas of /rest-api/stream/*: the WCS filters (find, terminate), the stream as
 * WCS answers it, and its `metrics` (display: ["metrics"]) under the WCS metric names.
 *
 * Conventions are those of schemas.ts: unknown fields are dropped, `null` or "" means
 * "not given", a known field of the wrong type is a 400 naming it.
 */
import { z } from 'zod';
import type { PublishedStreamInfo } from '../streams/stream-api';
import { LIMITS } from './schemas';

/** A field the client may omit or send as null. */
function optional<T extends z.ZodType>(schema: T) {
  return schema.nullish().transform((v) => v ?? undefined);
}

const text = (max: number) => z.string().max(max);

/** The filters of find and terminate: a stream matches when it matches every one given. */
const filterFields = {
  mediaSessionId: optional(text(LIMITS.mediaSessionIdLength)).describe('The media session of the publish (publishStream.mediaSessionId)'),
  name: optional(text(LIMITS.streamNameLength)).describe('The stream name'),
  published: optional(z.boolean()).describe('true: published streams; false: played ones (none here: this server only receives)'),
  status: optional(text(64)).describe('The stream status; published streams are PUBLISHING'),
  sessionId: optional(text(256)).describe('The signaling session that publishes it'),
};

export interface StreamFilter {
  mediaSessionId?: string;
  name?: string;
  published?: boolean;
  status?: string;
  sessionId?: string;
  /** terminate only: any of these media sessions */
  mediaSessionIds?: string[];
}

/** WCS clients send "" for "any": an empty string filters nothing. */
function filterOf(b: { mediaSessionId?: string; name?: string; published?: boolean; status?: string; sessionId?: string }): StreamFilter {
  const f: StreamFilter = {};
  if (b.mediaSessionId) f.mediaSessionId = b.mediaSessionId;
  if (b.name) f.name = b.name;
  if (b.published !== undefined) f.published = b.published;
  if (b.status) f.status = b.status;
  if (b.sessionId) f.sessionId = b.sessionId;
  return f;
}

export const METRICS_DISPLAY = 'metrics';

/** The status of every stream listed: the registry holds live publishers only. */
const STREAM_STATUS = 'PUBLISHING';

const display = optional(z.array(text(64)).max(16)).describe('Extra parts of the answer: ["metrics"] adds `metrics` (WCS names)');

export const StreamFindBody = z
  .object({ ...filterFields, display })
  .transform((b) => ({ filter: filterOf(b), metrics: (b.display ?? []).includes(METRICS_DISPLAY) }));

export const StreamFindAllBody = z.object({ display }).transform((b) => ({ metrics: (b.display ?? []).includes(METRICS_DISPLAY) }));

export const StreamTerminateBody = z
  .object({
    ...filterFields,
    mediaSessionIds: optional(z.array(z.string().min(1).max(LIMITS.mediaSessionIdLength)).max(1000)).describe('Any of these media sessions'),
  })
  .transform((b): StreamFilter => {
    const f = filterOf(b);
    if (b.mediaSessionIds !== undefined && b.mediaSessionIds.length > 0) f.mediaSessionIds = b.mediaSessionIds;
    return f;
  });

/** Whether a stream passes every filter given. */
export function matchesStreamFilter(s: PublishedStreamInfo, f: StreamFilter): boolean {
  if (f.mediaSessionId !== undefined && s.mediaSessionId !== f.mediaSessionId) return false;
  if (f.mediaSessionIds !== undefined && !f.mediaSessionIds.includes(s.mediaSessionId)) return false;
  if (f.name !== undefined && s.name !== f.name) return false;
  // Every stream here is published and PUBLISHING (the registry holds live publishers only).
  if (f.published !== undefined && f.published !== true) return false;
  if (f.status !== undefined && f.status !== STREAM_STATUS) return false;
  if (f.sessionId !== undefined && s.sessionId !== f.sessionId) return false;
  return true;
}

// ---------------------------------------------------------------------------
// Answers

const count = () => z.number().int().nonnegative();

export const StreamMetricsSchema = z
  .object({
    VIDEO_WIDTH: count().optional().describe('Picture width (px), from the SPS; absent before the first one'),
    VIDEO_HEIGHT: count().optional().describe('Picture height (px), from the SPS; absent before the first one'),
    VIDEO_FPS: count().optional().describe('Video frames received in the last second'),
    VIDEO_RATE: count().optional().describe('Video bitrate (bit/s) over the last second'),
    VIDEO_K_FRAMES: count().optional().describe('Keyframes received'),
    VIDEO_NACK: count().optional().describe('NACKs sent (one per packet reported lost)'),
    VIDEO_PLI: count().optional().describe('PLI keyframe requests sent'),
    VIDEO_LOST: count().optional().describe('Video RTP packets never received'),
    VIDEO_CODEC: count().optional().describe('The video RTP payload type negotiated'),
    AUDIO_RATE: count().optional().describe('Audio bitrate (bit/s) over the last second'),
    AUDIO_LOST: count().optional().describe('Audio RTP packets never received'),
    AUDIO_CODEC: count().optional().describe('The audio RTP payload type negotiated'),
  })
  .meta({ id: 'StreamMetrics', description: 'WCS stream metrics (absent: no such track, or not measured yet)' });

export type StreamMetricsJson = z.output<typeof StreamMetricsSchema>;

/** A stream as WCS's /stream/find answers it: its fields, in its order, those we can fill. */
export const StreamSchema = z
  .object({
    sessionId: z.string(),
    mediaSessionId: z.string(),
    name: z.string(),
    published: z.boolean(),
    hasVideo: z.boolean(),
    hasAudio: z.boolean(),
    status: z.string().describe('PUBLISHING'),
    audioCodec: z.string().optional().describe('encoding/clock rate/channels, e.g. opus/48000/2; absent without audio'),
    videoCodec: z.string().optional().describe('H264; absent without video'),
    record: z.boolean(),
    width: count().describe('Picture width now (0 before the first SPS)'),
    height: count().describe('Picture height now (0 before the first SPS)'),
    bitrate: count().describe('The bitrate the publish asked for (kbit/s), 0 if none'),
    minBitrate: count(),
    maxBitrate: count(),
    createDate: z.number().describe('Epoch ms when it started publishing'),
    mediaType: z.literal('publish'),
    mediaProvider: z.literal('WebRTC'),
    transport: z.literal('UDP'),
    metrics: StreamMetricsSchema.optional().describe('With display: ["metrics"]'),
  })
  .meta({ id: 'Stream', description: 'A published stream' });

export type StreamJson = z.output<typeof StreamSchema>;

/** The WCS metrics we measure, from the publisher's figures (the same as /debug/streams). */
export function streamMetrics(s: PublishedStreamInfo): StreamMetricsJson {
  const m: StreamMetricsJson = {};
  const { video, audio } = s.stats;
  if (video) {
    if (video.width !== undefined) m.VIDEO_WIDTH = video.width;
    if (video.height !== undefined) m.VIDEO_HEIGHT = video.height;
    m.VIDEO_FPS = video.fps;
    m.VIDEO_RATE = video.bitrateKbps * 1000;
    m.VIDEO_K_FRAMES = video.keyframes;
    m.VIDEO_NACK = video.nacksSent;
    m.VIDEO_PLI = video.plisSent;
    m.VIDEO_LOST = video.lost;
    m.VIDEO_CODEC = video.payloadType;
  }
  if (audio) {
    m.AUDIO_RATE = audio.bitrateKbps * 1000;
    m.AUDIO_LOST = audio.lost;
    m.AUDIO_CODEC = audio.payloadType;
  }
  return m;
}

export function toStreamJson(s: PublishedStreamInfo, withMetrics: boolean): StreamJson {
  const json: StreamJson = {
    sessionId: s.sessionId,
    mediaSessionId: s.mediaSessionId,
    name: s.name,
    published: true,
    hasVideo: s.hasVideo,
    hasAudio: s.hasAudio,
    status: STREAM_STATUS,
    record: s.record,
    width: s.stats.video?.width ?? 0,
    height: s.stats.video?.height ?? 0,
    bitrate: s.bitrate,
    minBitrate: s.minBitrate,
    maxBitrate: s.maxBitrate,
    createDate: s.createDate,
    mediaType: 'publish',
    mediaProvider: 'WebRTC',
    transport: 'UDP',
  };
  // The publisher takes Opus at 48 kHz stereo and H.264 only (sdp-offer.ts).
  if (s.hasAudio) json.audioCodec = 'opus/48000/2';
  if (s.hasVideo) json.videoCodec = 'H264';
  if (withMetrics) json.metrics = streamMetrics(s);
  return json;
}
