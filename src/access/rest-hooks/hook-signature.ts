/**
 * The signature of a hook request, as WCS makes it (REST hooks, "Authorization on
 * backend"): with `rest_hook_send_hash=true`, an HMAC-MD5 of the request body keyed with
 * `rest_hook_secret_key`, in hex, sent as `Authorization: WCS <hex>`; the backend computes
 * the same over the bytes it received and answers 403 when they differ. HMAC-SHA256 is
 * our extension (`rest_hook_hash_algorithm=sha256`), sent as `Authorization: HMAC-SHA256 <hex>`.
 * Pure: no I/O.
 */
import { createHmac } from 'node:crypto';

export type HookHashAlgorithm = 'md5' | 'sha256';

export interface HookSigning {
  /** rest_hook_secret_key, as UTF-8 bytes */
  key: string;
  algorithm: HookHashAlgorithm;
}

const SCHEME: Record<HookHashAlgorithm, string> = { md5: 'WCS', sha256: 'HMAC-SHA256' };

/** The Authorization header value for exactly these body bytes. */
export function hookAuthorization(body: Buffer, signing: HookSigning): string {
  const hex = createHmac(signing.algorithm, Buffer.from(signing.key, 'utf8')).update(body).digest('hex');
  return `${SCHEME[signing.algorithm]} ${hex}`;
}
