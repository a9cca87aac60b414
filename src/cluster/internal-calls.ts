/**
 * The calls nodes make to each other: each /push method, run on the node that holds the
 * stream or the transponder (the local manager there, never forwarded again). A caller's
 * answer comes back as it was: 200 with `{result}`, or the error's status and body,
 * which the calling node re-raises so its client sees the same status and body.
 */
import { timingSafeEqual, createHash } from 'node:crypto';
import { ERROR_CATALOGUE, RestError, type ErrorBody, type RestErrorCode } from '../rest/errors';
import { TransponderError, type TransponderErrorCode } from '../transponder/transponder-api';

export const INTERNAL_PREFIX = '/cluster/internal';
export const SECRET_HEADER = 'x-cluster-secret';

export const INTERNAL_OPS = ['startup', 'find', 'find_all', 'terminate', 'mute', 'unmute', 'sound_on', 'sound_off'] as const;
export type InternalOp = (typeof INTERNAL_OPS)[number];

/** Constant-time comparison of the secret a call carries with ours (hashes make the lengths equal). */
export function secretMatches(given: string | undefined, ours: string): boolean {
  if (given === undefined) return false;
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(given), digest(ours));
}

/** The error a node answered with, raised again here so our REST layer answers with the same status and body. */
export function errorFromAnswer(status: number, body: unknown): Error {
  const b = body as Partial<ErrorBody> | undefined;
  const code = b?.code;
  if (typeof code === 'string' && Object.prototype.hasOwnProperty.call(ERROR_CATALOGUE, code) && ERROR_CATALOGUE[code as RestErrorCode].status === status) {
    const message = typeof b?.message === 'string' ? b.message : ERROR_CATALOGUE[code as RestErrorCode].message;
    const field = typeof b?.field === 'string' ? b.field : undefined;
    // The catalogue maps a TransponderError's code to its status and body whichever layer the code is from; `rule` only travels on it.
    if (b?.rule !== undefined || !(code in HTTP_ONLY)) return new TransponderError(code as TransponderErrorCode, message, field, typeof b?.rule === 'string' ? b.rule : undefined);
    return new RestError(code as RestErrorCode, message, field);
  }
  return new Error(`the owning node answered ${status} without a known error code`);
}

/** HTTP-layer codes, raised as RestError (a transponder never raises them). */
const HTTP_ONLY: Record<string, true> = {
  BAD_JSON: true,
  UNSUPPORTED_CONTENT_TYPE: true,
  BODY_NOT_OBJECT: true,
  BODY_TOO_LARGE: true,
  BAD_REQUEST: true,
  UNAUTHORIZED: true,
  TOO_MANY_AUTH_FAILURES: true,
  ROUTE_NOT_FOUND: true,
  SETTINGS_INVALID: true,
  RELOAD_UNAVAILABLE: true,
  INTERNAL_ERROR: true,
};

/** Calls one node's internal route; resolves with its `result`, rejects with its error. */
export class NodeClient {
  constructor(private readonly secret: string, private readonly timeoutMs: number) {}

  async call<T>(nodeUrl: string, op: InternalOp, body: unknown): Promise<T> {
    const res = await fetch(`${nodeUrl.replace(/\/+$/, '')}${INTERNAL_PREFIX}/${op}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', [SECRET_HEADER]: this.secret },
      body: JSON.stringify(body ?? {}),
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    if (res.status === 200) return (parsed as { result: T } | undefined)?.result as T;
    throw errorFromAnswer(res.status, parsed);
  }
}
