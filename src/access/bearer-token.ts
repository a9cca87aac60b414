/**
 * `Authorization: Bearer <token>` of a WHIP publisher against the tokens the settings
 * accept (whip_token, and publish_token when set). Compared in constant time; the token
 * never reaches a log or an answer.
 */
import { sameSecret } from './publish-token';

export type BearerCheck = 'open' | 'ok' | 'missing' | 'wrong';

/** `open`: no token is configured, nothing is asked. */
export function checkBearerToken(authorization: string | undefined, accepted: readonly string[]): BearerCheck {
  if (accepted.length === 0) return 'open';
  const m = /^Bearer[ ]+(\S+)\s*$/i.exec(authorization ?? '');
  if (!m) return 'missing';
  const given = m[1]!;
  // Every accepted token is compared, so the time taken does not say which one matched.
  let ok = false;
  for (const token of accepted) ok = sameSecret(given, token) || ok;
  return ok ? 'ok' : 'wrong';
}
