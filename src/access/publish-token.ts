/**
 * The static publish token (`publish_token`, our extension, for small setups without a
 * backend): when set, a page must connect with `createSession({custom: {token}})` carrying
 * it, else its session is refused. Compared in constant time; never logged, never echoed.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Admission } from './session-access';

export const TOKEN_MISSING = 'A publish token is required: createSession({custom: {token}})';
export const TOKEN_WRONG = 'Wrong publish token';

/** Hashing first gives both sides one length, so neither the length nor the first differing byte shows in the time taken. */
export function sameSecret(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given, 'utf8').digest();
  const b = createHash('sha256').update(expected, 'utf8').digest();
  return timingSafeEqual(a, b);
}

/** Checks the `connection` object of a page against the token, if one is set. */
export function checkPublishToken(expected: string | undefined, connection: Readonly<Record<string, unknown>>): Admission {
  if (expected === undefined) return { ok: true };
  const custom = connection.custom;
  const token = typeof custom === 'object' && custom !== null ? (custom as Record<string, unknown>).token : undefined;
  if (typeof token !== 'string' || token.length === 0) return { ok: false, info: TOKEN_MISSING };
  return sameSecret(token, expected) ? { ok: true } : { ok: false, info: TOKEN_WRONG };
}
