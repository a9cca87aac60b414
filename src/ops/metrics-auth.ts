/**
 * Who may read GET /metrics:
 * - neither REST auth (disable_rest_auth=true) nor metrics_token: anyone, as the REST API;
 * - REST auth on: the REST credentials (Basic or the REST bearer token);
 * - metrics_token set: `Authorization: Bearer <metrics_token>` as well — and then it is
 *   required even when the REST API is open, so a scraper's token protects the figures.
 * Wrong credentials count against the same per-address failure budget as the REST API's.
 * Reloadable: the REST authenticator updates itself; update() takes a new metrics_token.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { credentialsHook, RestAuthenticator, WWW_AUTHENTICATE } from '../rest/auth';
import type { AuthFailureLimiter } from '../rest/auth-failure-limiter';

export class MetricsAuthenticator {
  private token: RestAuthenticator | undefined;

  /** `rest`: the service's one REST authenticator (shared, so reloads reach both). */
  constructor(private readonly rest: RestAuthenticator, token: string | undefined, private readonly limiter?: AuthFailureLimiter) {
    this.update(token);
  }

  /** A new metrics_token (a reload); undefined removes it. */
  update(token: string | undefined): void {
    // A RestAuthenticator holding only the token: the same equal-time bearer check.
    this.token = token ? new RestAuthenticator({ disabled: false, token }) : undefined;
  }

  /** true when nothing is asked of a scraper. */
  get open(): boolean {
    return !this.rest.enabled && !this.token;
  }

  /** true when a request with this `Authorization` header may read the metrics. */
  check(authorization: string | undefined): boolean {
    if (this.open) return true;
    if (this.token?.check(authorization)) return true;
    return this.rest.enabled && this.rest.check(authorization);
  }

  /** The WWW-Authenticate challenge of a 401: Basic when the REST credentials are accepted. */
  get challenge(): string {
    return this.rest.enabled ? WWW_AUTHENTICATE : 'Bearer realm="rtmp-transponder"';
  }

  readonly hook: (request: FastifyRequest, reply: FastifyReply) => Promise<void> = credentialsHook({
    open: () => this.open,
    check: (authorization) => this.check(authorization),
    challenge: () => this.challenge,
    limiter: () => this.limiter,
  });
}
