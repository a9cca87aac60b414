/**
 * REST authentication (disable_rest_auth=false): HTTP Basic with the configured user and
 * password, or `Authorization: Bearer <token>`. Comparisons take the same time whatever
 * the input, and nothing here logs: the header is a secret. Wrong credentials are counted
 * per client address by an AuthFailureLimiter when one is given: past its budget the
 * address is answered 429 with Retry-After, before any comparison.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { addressGroup } from '../util/address-group';
import type { AuthFailureLimiter } from './auth-failure-limiter';
import { RestError } from './errors';

export const AUTH_REALM = 'rtmp-transponder';
export const WWW_AUTHENTICATE = `Basic realm="${AUTH_REALM}"`;

export interface RestAuthOptions {
  /** disable_rest_auth: true leaves the API open. */
  disabled: boolean;
  user?: string;
  password?: string;
  token?: string;
}

/**
 * Equal-time comparison of two strings of any length: hashing first gives both sides the
 * same length, so neither the length nor the first differing byte shows in the timing.
 */
function sameSecret(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given, 'utf8').digest();
  const b = createHash('sha256').update(expected, 'utf8').digest();
  return timingSafeEqual(a, b);
}

interface Credentials {
  disabled: boolean;
  basic?: { user: string; password: string };
  token?: string;
}

function credentialsOf(options: RestAuthOptions): Credentials {
  const basic = options.user && options.password !== undefined && options.password !== '' ? { user: options.user, password: options.password } : undefined;
  const token = options.token ? options.token : undefined;
  if (!options.disabled && !basic && !token) {
    // Refuse rather than run a REST API nobody can use (or everybody can).
    throw new Error('REST authentication is enabled (disable_rest_auth=false) but neither a user and password nor a token is configured');
  }
  return { disabled: options.disabled, basic, token };
}

/**
 * Decides whether an `Authorization` header value grants access. `update` swaps the
 * credentials while the server runs (settings reload): each request is checked against
 * the ones in force when it arrives.
 */
export class RestAuthenticator {
  private current: Credentials;

  /** `limiter`: counts wrong credentials per address; none leaves guessing unthrottled. */
  constructor(options: RestAuthOptions, private readonly limiter?: AuthFailureLimiter) {
    this.current = credentialsOf(options);
  }

  /** New credentials for the next requests; throws (keeping the old ones) when they are unusable. */
  update(options: RestAuthOptions): void {
    this.current = credentialsOf(options);
  }

  get enabled(): boolean {
    return !this.current.disabled;
  }

  /** true when the request may go on. */
  check(authorization: string | undefined): boolean {
    const { disabled, token } = this.current;
    if (disabled) return true;
    if (typeof authorization !== 'string') return false;
    const m = /^\s*([A-Za-z]+)\s+(\S+)\s*$/.exec(authorization);
    if (!m) return false;
    const scheme = m[1].toLowerCase();
    if (scheme === 'basic') return this.checkBasic(m[2]);
    if (scheme === 'bearer') return token !== undefined && sameSecret(m[2], token);
    return false;
  }

  private checkBasic(encoded: string): boolean {
    const basic = this.current.basic;
    if (!basic) return false;
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(encoded)) return false;
    const decoded = Buffer.from(encoded, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return false;
    // Both compared every time, so a right user name does not answer faster.
    const userOk = sameSecret(decoded.slice(0, colon), basic.user);
    const passwordOk = sameSecret(decoded.slice(colon + 1), basic.password);
    return userOk && passwordOk;
  }

  /**
   * A fastify onRequest hook: lets the request go on when auth is off or its credentials
   * are right; 429 with Retry-After when its address spent its failure budget (nothing
   * compared); otherwise 401 with a Basic challenge, counting the failure when the
   * request presented credentials.
   */
  readonly hook = credentialsHook({
    open: () => this.current.disabled,
    check: (authorization) => this.check(authorization),
    challenge: () => WWW_AUTHENTICATE,
    limiter: () => this.limiter,
  });
}

/** What credentialsHook asks of an authenticator. */
export interface CredentialsRule {
  /** true: nothing is asked of anyone. */
  open(): boolean;
  check(authorization: string | undefined): boolean;
  /** The WWW-Authenticate value of a 401. */
  challenge(): string;
  limiter(): AuthFailureLimiter | undefined;
}

/**
 * The one onRequest hook for every route behind credentials (the REST API, /debug,
 * /metrics), so each shares the failure limiter: a guesser cannot move to another path.
 */
export function credentialsHook(rule: CredentialsRule): (request: FastifyRequest, reply: FastifyReply) => Promise<void> {
  return async (request, reply) => {
    if (rule.open()) return;
    const limiter = rule.limiter();
    const address = addressGroup(request.ip);
    const waitMs = limiter?.retryAfterMs(address) ?? 0;
    if (waitMs > 0) {
      const seconds = Math.ceil(waitMs / 1000);
      reply.header('Retry-After', String(seconds));
      throw new RestError('TOO_MANY_AUTH_FAILURES', `Too many failed authentications from this address: retry in ${seconds} s`);
    }
    const authorization = request.headers.authorization;
    if (rule.check(authorization)) return;
    if (authorization !== undefined) limiter?.recordFailure(address);
    reply.header('WWW-Authenticate', rule.challenge());
    throw new RestError('UNAUTHORIZED');
  };
}
