/**
 * The `authmod=adobe` challenge–response used by FMS/Wowza/Nimble-style servers for
 * `rtmp://user:password@host/app` (what ffmpeg and OBS answer too):
 *
 *  1. connect(app)                                   → _error "...authmod=adobe..."
 *  2. connect(app?authmod=adobe&user=U)              → _error "...?reason=needauth&salt=S&challenge=C&opaque=O"
 *  3. connect(app?authmod=adobe&user=U&challenge=C2&response=R[&opaque=O]) → _result
 *
 * with R = base64(md5(base64(md5(U + S + P)) + (O or C) + C2)) and C2 our own random
 * challenge. Pure functions: the connection code drives the three attempts.
 */
import { createHash, randomBytes } from 'node:crypto';

export type AdobeAuthReply =
  | { kind: 'authmod-required' }
  | { kind: 'challenge'; salt: string; challenge?: string; opaque?: string }
  | { kind: 'failed'; reason: string };

/** Reads a connect `_error` description; undefined when it is not about adobe auth. */
export function parseAdobeAuthReply(description: string): AdobeAuthReply | undefined {
  if (!/authmod=adobe/.test(description)) return undefined;
  const q = description.indexOf('?reason=');
  if (q < 0) return { kind: 'authmod-required' };
  const params = new URLSearchParams(description.slice(q + 1));
  const reason = params.get('reason') ?? '';
  const salt = params.get('salt');
  if (reason === 'needauth' && salt) {
    return { kind: 'challenge', salt, challenge: params.get('challenge') ?? undefined, opaque: params.get('opaque') ?? undefined };
  }
  return { kind: 'failed', reason: reason || 'unknown' };
}

function md5Base64(text: string): string {
  return createHash('md5').update(text, 'utf8').digest('base64');
}

/** The query to append to the app for the given step (the password never appears in it). */
export function adobeAuthQuery(user: string, password?: string, reply?: Extract<AdobeAuthReply, { kind: 'challenge' }>, clientChallenge?: string): string {
  const u = encodeURIComponent(user);
  if (!reply || password === undefined) return `authmod=adobe&user=${u}`;
  const c2 = clientChallenge ?? randomBytes(4).toString('hex');
  const response = adobeAuthResponse(user, password, reply.salt, reply.opaque ?? reply.challenge ?? '', c2);
  let query = `authmod=adobe&user=${u}&challenge=${c2}&response=${response}`;
  if (reply.opaque !== undefined) query += `&opaque=${reply.opaque}`;
  return query;
}

export function adobeAuthResponse(user: string, password: string, salt: string, serverChallenge: string, clientChallenge: string): string {
  return md5Base64(md5Base64(user + salt + password) + serverChallenge + clientChallenge);
}

/** Appends an auth query to an app that may already carry one. */
export function appendQuery(app: string, query: string): string {
  return app + (app.includes('?') ? '&' : '?') + query;
}
