/**
 * The warning at start for a server open to the network with nothing guarding it: it
 * listens beyond loopback, the REST API takes anyone (disable_rest_auth=true), and
 * publishing takes anyone (no REST hook, no publish token). Then whoever reaches it can
 * publish, relay to any RTMP URL they give, and drive the REST API.
 * Pure: the caller finds out the three facts; this decides and words the warning.
 */
import { isIP } from 'node:net';

export interface Exposure {
  /** The listeners bind beyond loopback (0.0.0.0, ::, or a non-loopback address). */
  listensBeyondLoopback: boolean;
  /** disable_rest_auth=false. */
  restAuth: boolean;
  /** Publishing is checked: a REST hook URL (rest_hook_url) or a publish token (publish_token). */
  publishAuth: boolean;
}

/** The warning text, or undefined when there is nothing to warn about. */
export function exposureWarning(e: Exposure): string | undefined {
  if (!e.listensBeyondLoopback || e.restAuth || e.publishAuth) return undefined;
  return 'This server listens beyond loopback with REST auth off (disable_rest_auth=true) and no publish authentication '
    + '(no rest_hook_url, no publish_token): anyone who reaches it can publish, relay to any RTMP URL and use the REST API. '
    + 'See "Securing a public server" in the README.';
}

/** Whether a bind address keeps listeners on loopback (127.0.0.0/8, ::1, or "localhost"). */
export function isLoopbackBindAddress(address: string): boolean {
  const a = address.trim().toLowerCase();
  if (a === 'localhost') return true;
  if (isIP(a) === 4) return a.startsWith('127.');
  if (a === '::1' || a === '0:0:0:0:0:0:0:1') return true;
  // IPv4-mapped loopback, ::ffff:127.x.y.z
  return /^::ffff:127\.\d+\.\d+\.\d+$/.test(a);
}
