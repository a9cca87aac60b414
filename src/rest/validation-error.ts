/**
 * A failed validation as our error: a 400 naming the first field at fault, in words
 * that never echo its value (rtmpUrl carries the stream key). Two sources give the same
 * answer: the zod type provider's validation errors (a route's declared schema, the usual
 * path) and a zod parse made by hand (`parseBody`).
 */
import type { FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import type { z } from 'zod';
import { RestError } from './errors';

/** What we read of one problem: a zod issue, or the provider's copy of one. */
interface Issue {
  code: string;
  path: readonly PropertyKey[];
  message: string;
  expected?: unknown;
  origin?: unknown;
  minimum?: unknown;
  maximum?: unknown;
  values?: readonly unknown[];
}

/**
 * The first problem of a failed parse of `input`, as a 400 naming the field. The value
 * at fault is looked up in `input` (not carried by the issue) to tell "missing" from
 * "wrong type" and to name the type that came.
 */
export function validationError(issues: readonly Issue[], input: unknown): RestError {
  const issue = issues[0];
  if (!issue) return new RestError('INVALID_PARAMETER', 'Invalid body');
  const field = issue.path.map(String).join('.');
  const name = field || 'body';
  // Every rtmpUrl problem (missing, wrong type, bad shape) gets the one code clients test for.
  const code = issue.path[0] === 'rtmpUrl' ? 'INVALID_RTMP_URL' : 'INVALID_PARAMETER';
  return new RestError(code, describeIssue(name, issue, valueAt(input, issue.path)), field || undefined);
}

/** The same, from a zod parse made by hand. */
export function zodValidationError(error: z.ZodError, input: unknown): RestError {
  return validationError(error.issues, input);
}

/** Where fastify found the data it validated (its `validationContext`). */
const CONTEXTS: Readonly<Record<string, (request: FastifyRequest) => unknown>> = {
  body: (r) => r.body,
  querystring: (r) => r.query,
  params: (r) => r.params,
  headers: (r) => r.headers,
};

/**
 * A validation error raised by fastify with the zod validator compiler, as our error;
 * undefined for any other error. The provider keeps each issue's fields in `params` and
 * its path as a JSON pointer (`/options/soundFile`; our field names hold no "/").
 */
export function fromProviderValidation(err: unknown, request: FastifyRequest): RestError | undefined {
  if (!hasZodFastifySchemaValidationErrors(err)) return undefined;
  const context = (err as { validationContext?: unknown }).validationContext;
  const input = typeof context === 'string' ? CONTEXTS[context]?.(request) : undefined;
  const issues: Issue[] = err.validation.map((v) => ({
    ...(v.params as Partial<Issue>),
    code: v.keyword,
    path: v.instancePath.split('/').slice(1).filter((p) => p !== ''),
    message: v.message ?? '',
  }));
  return validationError(issues, input);
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let value = input;
  for (const key of path) {
    if (typeof value !== 'object' || value === null) return undefined;
    value = (value as Record<PropertyKey, unknown>)[key];
  }
  return value;
}

function describeIssue(name: string, issue: Issue, value: unknown): string {
  switch (issue.code) {
    case 'invalid_type':
      if (value === undefined) return `${name} is required`;
      if (issue.expected === 'int') return `${name} must be an integer`;
      if (issue.expected === 'number' && typeof value === 'number') return `${name} must be a finite number`;
      return `${name} must be ${article(String(issue.expected))} ${String(issue.expected)}, not ${describeType(value)}`;
    case 'too_small':
      if (issue.origin === 'string') return issue.minimum === 1 ? `${name} must not be empty` : `${name} must have at least ${String(issue.minimum)} characters`;
      return `${name} must be at least ${String(issue.minimum)}`;
    case 'too_big':
      if (issue.origin === 'string') return `${name} must have at most ${String(issue.maximum)} characters`;
      return `${name} must be at most ${String(issue.maximum)}`;
    case 'invalid_value':
      return `${name} must be one of ${(issue.values ?? []).map((v) => JSON.stringify(v)).join(', ')}`;
    case 'invalid_format':
      return `${name} ${issue.message}`;
    case 'custom':
      return issue.message;
    default:
      return `${name} is invalid`;
  }
}

function article(word: string): string {
  return /^[aeiou]/i.test(word) ? 'an' : 'a';
}

function describeType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  const t = typeof v;
  return `${article(t)} ${t}`;
}
