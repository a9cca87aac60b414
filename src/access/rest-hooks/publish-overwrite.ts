/**
 * restPolicy OVERWRITE for publishStream: the fields named in restOverwrite are taken
 * from the backend's answer — the stream name, the relay's rtmpUrl (empty: no relay),
 * record, the bitrates, custom — each only when the answer gives it with the right type.
 * The result passes the same checks as the page's own request afterwards (name rules,
 * rtmpUrl rules, the name's reservation). Pure.
 */
import type { PublishFields } from '../session-access';

export interface OverwriteResult {
  publish: PublishFields;
  /** fields taken from the answer */
  changed: string[];
  /** fields named in restOverwrite that the answer gave with a wrong type, or that cannot be overwritten */
  refused: string[];
}

const NAME_RE = /^[^\u0000-\u001f\u007f]{1,256}$/;

function positive(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : undefined;
}

type Rule = (value: unknown, into: PublishFields) => boolean;

const RULES: Record<string, Rule> = {
  name: (v, p) => {
    if (typeof v !== 'string' || !NAME_RE.test(v)) return false;
    p.name = v;
    return true;
  },
  rtmpUrl: (v, p) => {
    if (v === null || v === '') {
      delete p.rtmpUrl;
      return true;
    }
    if (typeof v !== 'string') return false;
    p.rtmpUrl = v;
    return true;
  },
  record: (v, p) => {
    if (typeof v !== 'boolean') return false;
    p.record = v;
    return true;
  },
  bitrate: (v, p) => {
    if (v === 0) delete p.bitrate;
    else if (positive(v) === undefined) return false;
    else p.bitrate = v as number;
    return true;
  },
  minBitrate: (v, p) => {
    if (v === 0) delete p.minBitrate;
    else if (positive(v) === undefined) return false;
    else p.minBitrate = v as number;
    return true;
  },
  maxBitrate: (v, p) => {
    if (v === 0) delete p.maxBitrate;
    else if (positive(v) === undefined) return false;
    else p.maxBitrate = v as number;
    return true;
  },
  custom: (v, p) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
    p.custom = v as Record<string, unknown>;
    return true;
  },
};

/** Fields a backend may overwrite in publishStream. */
export const OVERWRITABLE_PUBLISH_FIELDS: readonly string[] = Object.keys(RULES);

export function overwritePublish(request: PublishFields, answer: Readonly<Record<string, unknown>>, restOverwrite: ReadonlySet<string>): OverwriteResult {
  const publish: PublishFields = { ...request };
  const changed: string[] = [];
  const refused: string[] = [];
  for (const field of restOverwrite) {
    if (!Object.prototype.hasOwnProperty.call(answer, field)) continue;
    const rule = Object.prototype.hasOwnProperty.call(RULES, field) ? RULES[field] : undefined;
    if (rule && rule(answer[field], publish)) changed.push(field);
    else refused.push(field);
  }
  return { publish, changed, refused };
}
