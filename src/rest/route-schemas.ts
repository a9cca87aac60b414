/**
 * What a route needs to land in the OpenAPI document: the instance type with the zod type
 * provider (request bodies typed from their schemas), the error body as a zod schema, and
 * `apiResponses`, which adds the answers of the error catalogue to a route's own.
 *
 * A route declares, next to its handler:
 *
 *   rest.post('/settings/reload', {
 *     schema: {
 *       tags: ['settings'], summary: 'Re-read the properties file',
 *       body: z.object({}),
 *       response: apiResponses({ 200: ReloadAnswer }, ['INVALID_PARAMETER', ...BODY_ERROR_CODES]),
 *     },
 *   }, async (request) => …);
 *
 * A text answer (e.g. /metrics) names its media type, and is sent as it is:
 *   response: { 200: { description: 'Prometheus text', content: { 'text/plain': { schema: z.string() } } } }
 * Routes without a schema (pages, static files) stay out of the document.
 */
import type {
  FastifyBaseLogger,
  FastifyInstance,
  RawReplyDefaultExpression,
  RawRequestDefaultExpression,
  RawServerDefault,
} from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ERROR_CATALOGUE, reasonPhrase, type ErrorBody, type RestErrorCode } from './errors';

/** A fastify instance whose routes take zod schemas (what extraRoutes and extraApiRoutes get). */
export type ZodFastifyInstance = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  ZodTypeProvider
>;

/** Errors of reading a JSON body under /rest-api: every route that takes a body may answer them. */
export const BODY_ERROR_CODES = [
  'BAD_JSON',
  'UNSUPPORTED_CONTENT_TYPE',
  'BODY_NOT_OBJECT',
  'BODY_TOO_LARGE',
  'BAD_REQUEST',
] as const satisfies readonly RestErrorCode[];

/** Errors every route under /rest-api may answer: no credentials (REST auth on), too many wrong ones from the address, a fault of ours. */
export const API_ERROR_CODES = ['UNAUTHORIZED', 'TOO_MANY_AUTH_FAILURES', 'INTERNAL_ERROR'] as const satisfies readonly RestErrorCode[];

/** The fields of every error answer; `code` is narrowed per status by `errorBodySchema`. */
function errorFields<C extends z.ZodType>(code: C) {
  return {
    error: z.string().describe('The HTTP reason phrase'),
    code: code.describe('Stable error code (the error catalogue in src/rest/errors.ts)'),
    message: z.string().describe('What went wrong, for people; never contains a stream key'),
    field: z.string().optional().describe('The request field at fault, as a dotted path (e.g. options.soundFile)'),
    rule: z.string().optional().describe('DESTINATION_REFUSED: the destination guard rule that refused the rtmpUrl'),
  };
}

/** Any error answer, whatever its code. */
export const ErrorBodySchema = z.object(errorFields(z.string())).meta({ id: 'Error', description: 'An error answer' });

/** The error answer of one status, with the codes a route answers with it. */
function errorBodySchema(status: number, codes: readonly RestErrorCode[]) {
  const list = codes.map((c) => `\`${c}\` (${ERROR_CATALOGUE[c].message})`).join(', ');
  return z
    .object(errorFields(z.enum(codes as [RestErrorCode, ...RestErrorCode[]])))
    .describe(`${reasonPhrase(status)}: ${list}`) satisfies z.ZodType<ErrorBody>;
}

/**
 * A route's `response` schemas: its own answers, plus one error schema per status for
 * `codes` and the codes every /rest-api route may answer (API_ERROR_CODES). A status the
 * route answers both ways keeps the route's own schema. Typed as the route's own answers
 * only: handlers throw errors (RestError, TransponderError), they never send them.
 */
export function apiResponses<R extends Record<number, z.ZodType>>(answers: R, codes: readonly RestErrorCode[]): R {
  const byStatus = new Map<number, RestErrorCode[]>();
  for (const code of new Set([...codes, ...API_ERROR_CODES])) {
    const { status } = ERROR_CATALOGUE[code];
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  const errors: Record<number, z.ZodType<ErrorBody>> = {};
  for (const [status, list] of byStatus) errors[status] = errorBodySchema(status, list);
  return { ...errors, ...answers };
}

/** An answer with an empty body (WCS answers 200 with nothing for terminate, mute, …). */
export function emptyAnswer(description: string) {
  return z.undefined().describe(description);
}
