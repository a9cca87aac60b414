/**
 * Who may read GET /metrics:
 * - neither REST auth (disable_rest_auth=true) nor metrics_token: anyone, as the REST API;
 * - REST auth on: the REST credentials (Basic or the REST bearer token);
 * - metrics_token set: `Authorization: Bearer <metrics_token>` as well — and then it is
 *   required even when the REST API is open, so a scraper's token protects the figures.
 * Reloadable: update() takes the new settings; requests after it use them.
 */
import { RestAuthenticator, WWW_AUTHENTICATE, type RestAuthOptions } from '../rest/auth';

export interface MetricsAuthOptions {
  rest: RestAuthOptions;
  /** metrics_token: a bearer token accepted for /metrics only. */
  token?: string;
}

export class MetricsAuthenticator {
  private rest!: RestAuthenticator;
  private token: RestAuthenticator | undefined;

  constructor(options: MetricsAuthOptions) {
    this.update(options);
  }

  /** Takes new settings (a reload); throws, changing nothing, when REST auth is on without credentials. */
  update(options: MetricsAuthOptions): void {
    const rest = new RestAuthenticator(options.rest);
    // A RestAuthenticator holding only the token: the same equal-time bearer check.
    const token = options.token ? new RestAuthenticator({ disabled: false, token: options.token }) : undefined;
    this.rest = rest;
    this.token = token;
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
}
