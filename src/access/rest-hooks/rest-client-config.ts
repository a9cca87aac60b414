/**
 * WCS's restClientConfig: the `connect` answer may say, per method, how later calls of
 * this session behave. Fields (comma-separated lists as text):
 *   restExclude   fields not sent to the backend
 *   restOnError   LOG (default): an error is logged and the operation goes on;
 *                 FAIL: the operation is declined
 *   restPolicy    NOTIFY (default): the backend is told, its answer changes nothing;
 *                 OVERWRITE: the fields named in restOverwrite are taken from its answer;
 *                 DISABLE (older docs: DISABLED): the backend is not called
 *   restOverwrite fields the backend may change under OVERWRITE
 *   clientExclude fields not sent to the client (we send the client nothing of the
 *                 backend's answers, so there is nothing to exclude)
 * A method not described gets the defaults. Pure: parsing and lookups.
 */
export type RestOnError = 'LOG' | 'FAIL';
export type RestPolicy = 'NOTIFY' | 'OVERWRITE' | 'DISABLE';

export interface MethodConfig {
  restExclude: ReadonlySet<string>;
  restOnError: RestOnError;
  restPolicy: RestPolicy;
  restOverwrite: ReadonlySet<string>;
}

export const DEFAULT_METHOD_CONFIG: MethodConfig = Object.freeze({
  restExclude: new Set<string>(),
  restOnError: 'LOG',
  restPolicy: 'NOTIFY',
  restOverwrite: new Set<string>(),
});

export interface ParsedRestClientConfig {
  config: RestClientConfig;
  /** what was wrong in the backend's object (each ignored); empty when all was understood */
  problems: string[];
}

function list(value: unknown): Set<string> | undefined {
  if (value === undefined || value === null) return new Set();
  if (typeof value === 'string') return new Set(value.split(',').map((s) => s.trim()).filter((s) => s.length > 0));
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return new Set((value as string[]).map((s) => s.trim()));
  return undefined;
}

export class RestClientConfig {
  private constructor(private readonly methods: ReadonlyMap<string, MethodConfig>) {}

  static readonly DEFAULT = new RestClientConfig(new Map());

  /** The `restClientConfig` of a connect answer; anything not understood keeps its default. */
  static parse(value: unknown): ParsedRestClientConfig {
    if (value === undefined || value === null) return { config: RestClientConfig.DEFAULT, problems: [] };
    if (typeof value !== 'object' || Array.isArray(value)) return { config: RestClientConfig.DEFAULT, problems: ['restClientConfig is not an object'] };
    const problems: string[] = [];
    const methods = new Map<string, MethodConfig>();
    for (const [method, raw] of Object.entries(value as Record<string, unknown>)) {
      if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
        problems.push(`${method}: not an object`);
        continue;
      }
      const r = raw as Record<string, unknown>;
      const restExclude = list(r.restExclude);
      const restOverwrite = list(r.restOverwrite);
      const onError = typeof r.restOnError === 'string' ? r.restOnError.trim().toUpperCase() : r.restOnError;
      const policyText = typeof r.restPolicy === 'string' ? r.restPolicy.trim().toUpperCase() : r.restPolicy;
      const policy = policyText === 'DISABLED' ? 'DISABLE' : policyText;
      if (restExclude === undefined) problems.push(`${method}.restExclude: not a list`);
      if (restOverwrite === undefined) problems.push(`${method}.restOverwrite: not a list`);
      if (onError !== undefined && onError !== 'LOG' && onError !== 'FAIL') problems.push(`${method}.restOnError: expected LOG or FAIL`);
      if (policy !== undefined && policy !== 'NOTIFY' && policy !== 'OVERWRITE' && policy !== 'DISABLE') problems.push(`${method}.restPolicy: expected NOTIFY, OVERWRITE or DISABLE`);
      methods.set(method, {
        restExclude: restExclude ?? DEFAULT_METHOD_CONFIG.restExclude,
        restOnError: onError === 'FAIL' ? 'FAIL' : 'LOG',
        restPolicy: policy === 'OVERWRITE' || policy === 'DISABLE' ? policy : 'NOTIFY',
        restOverwrite: restOverwrite ?? DEFAULT_METHOD_CONFIG.restOverwrite,
      });
    }
    return { config: new RestClientConfig(methods), problems };
  }

  of(method: string): MethodConfig {
    return this.methods.get(method) ?? DEFAULT_METHOD_CONFIG;
  }

  /** The body without the method's restExclude fields. */
  restrict(method: string, body: Record<string, unknown>): Record<string, unknown> {
    const exclude = this.of(method).restExclude;
    if (exclude.size === 0) return body;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(body)) if (!exclude.has(k)) out[k] = v;
    return out;
  }
}
