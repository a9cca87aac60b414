/**
 * The seam through which the service's destination guard (src/access/) takes part in
 * every connection attempt without rtmp/ knowing it: a resolver turns the destination's
 * host into the one address to connect to, after judging every address the name has. So
 * what is judged is what is connected to, at every (re)connect, with no window for a DNS
 * answer to change in between. TLS still names the host (SNI, certificate check).
 */
import type { RtmpScheme } from './rtmp-url';

export interface RtmpDestination {
  scheme: RtmpScheme;
  host: string;
  port: number;
}

/** Resolves and judges a destination; resolves to the address to connect to. */
export type DestinationResolver = (dest: RtmpDestination, signal?: AbortSignal) => Promise<string>;

/**
 * Thrown by a resolver for a destination that must not be reached: the attempt fails for
 * good (a restore would be refused the same way). The message names the rule and is
 * shown to callers; `detail` (the address, for the log) is not.
 */
export class DestinationRefusedError extends Error {
  override readonly name = 'DestinationRefusedError';

  constructor(
    message: string,
    /** The rule that refused, e.g. `rtmp_push_denied_networks`. */
    readonly rule: string,
    readonly detail: string = message,
  ) {
    super(message);
  }
}

/** Thrown by a resolver when the host does not resolve (may be temporary: a restore tries again). */
export class DestinationNotFoundError extends Error {
  override readonly name = 'DestinationNotFoundError';

  constructor(readonly host: string, readonly detail: string) {
    super(`the RTMP host cannot be resolved`);
  }
}
