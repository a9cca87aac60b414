/**
 * The HTTP server of the REST API: fastify with /rest-api/push/* behind optional auth,
 * GET /health, one error handler over the catalogue in errors.ts, and one log line per
 * request (request-log.ts). Bodies are read here, so every client error has the same JSON shape. Routes
 * declare zod schemas (fastify-type-provider-zod): fastify validates bodies with them,
 * and the OpenAPI document at /rest-api/openapi.json is generated from them (api-docs.ts).
 *
 * Body rules (WCS clients differ, so we are lenient where it is harmless):
 * - `Content-Type: application/json` with or without parameters (charset must be UTF-8),
 *   any `+json` type, and no Content-Type at all are read as JSON; anything else is a 400;
 * - an empty body is `{}` (find_all is often sent with none);
 * - the body must be a JSON object of at most 64 KB.
 */
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { redactRtmpUrlsInText } from '../rtmp/redact-rtmp-url';
import type { StreamApi } from '../streams/stream-api';
import type { TransponderApi } from '../transponder/transponder-api';
import { registerApiDocsRoutes, registerOpenApi } from './api-docs';
import { RestAuthenticator, type RestAuthOptions } from './auth';
import { RestError, toErrorReply, type ErrorBody } from './errors';
import { registerPushRoutes } from './push-routes';
import { registerStreamRoutes } from './stream-routes';
import type { ZodFastifyInstance } from './route-schemas';
import { fromProviderValidation } from './validation-error';
import { pathOf, RequestLogController } from './request-log';

export const REST_PREFIX = '/rest-api';
export const REST_BODY_LIMIT = 64 * 1024;

/** The part of src/log.ts's Logger this server uses. */
export interface RestLogger {
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

export interface RestServerOptions {
  api: TransponderApi;
  /** The published streams, for /rest-api/stream/*; without it those routes do not exist. */
  streams?: StreamApi;
  /** The credentials, or an authenticator the owner keeps to change them while running (settings reload). */
  auth: RestAuthOptions | RestAuthenticator;
  logger: RestLogger;
  /**
   * The pino logger fastify logs through: one line per request (request-log.ts) and
   * fastify's own errors, with the service's redaction. None: fastify logs nothing.
   */
  httpLogger?: FastifyBaseLogger;
  /**
   * More routes at the root, outside /rest-api and its auth (static pages, WHIP, /metrics).
   * A route that declares a zod schema lands in the OpenAPI document (route-schemas.ts).
   */
  extraRoutes?: (app: ZodFastifyInstance) => void;
  /**
   * More routes under /rest-api, behind its auth and JSON body rules (settings reload, …);
   * declare their zod schemas, with `apiResponses` for the error answers, to document them.
   */
  extraApiRoutes?: (rest: ZodFastifyInstance) => void;
  /** GET /health's answer (503 while starting or stopping); without it, always 200 `{status: 'ok'}`. */
  health?: () => { statusCode: number; body: { status: string } };
}

// ---------------------------------------------------------------------------
// Secrets in logs

/**
 * Hides RTMP URLs (they carry stream keys and passwords) in text bound for a log: the
 * request's rtmpUrl and its secret parts wherever they appear, and anything that looks
 * like an RTMP URL (the rule: src/rtmp/redact-rtmp-url.ts).
 */
export function scrubSecrets(text: string, knownUrls: readonly string[] = []): string {
  return redactRtmpUrlsInText(text, knownUrls);
}

function urlsInBody(body: unknown): string[] {
  if (typeof body !== 'object' || body === null) return [];
  const url = (body as { rtmpUrl?: unknown }).rtmpUrl;
  return typeof url === 'string' ? [url] : [];
}

function describeCause(err: unknown, knownUrls: readonly string[], depth = 0): Record<string, unknown> {
  if (!(err instanceof Error)) return { error: scrubSecrets(String(err), knownUrls) };
  const fields: Record<string, unknown> = {
    error: scrubSecrets(`${err.name}: ${err.message}`, knownUrls),
    stack: err.stack ? scrubSecrets(err.stack, knownUrls) : undefined,
  };
  if (err.cause !== undefined && depth < 3) fields.cause = describeCause(err.cause, knownUrls, depth + 1);
  return fields;
}

// ---------------------------------------------------------------------------
// Body parsing

const JSON_MEDIA_TYPE = /^application\/(?:[\w.+-]+\+)?json$/;

function checkContentType(header: string | undefined): void {
  if (header === undefined || header.trim() === '') return;
  const [mediaType, ...params] = header.split(';').map((p) => p.trim());
  if (!JSON_MEDIA_TYPE.test(mediaType.toLowerCase())) {
    const shown = mediaType.slice(0, 64).replace(/[^\x20-\x7e]/g, '?');
    throw new RestError('UNSUPPORTED_CONTENT_TYPE', `Content-Type "${shown}" is not supported: send application/json`);
  }
  for (const param of params) {
    const eq = param.indexOf('=');
    if (eq < 0 || param.slice(0, eq).trim().toLowerCase() !== 'charset') continue;
    const charset = param.slice(eq + 1).trim().replace(/^"|"$/g, '').toLowerCase();
    if (charset !== 'utf-8' && charset !== 'utf8' && charset !== 'us-ascii') {
      throw new RestError('UNSUPPORTED_CONTENT_TYPE', 'Only the UTF-8 charset is supported');
    }
  }
}

/**
 * JSON.parse is safe against prototype poisoning here: a "__proto__" key becomes an own
 * property, and the zod schemas copy only the fields they know.
 */
function parseJsonBody(request: FastifyRequest, text: string): unknown {
  checkContentType(request.headers['content-type']);
  if (text.trim() === '') return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    // Node's message quotes the input, which may hold an rtmpUrl: give the position only.
    const at = err instanceof Error ? /position (\d+)/.exec(err.message)?.[1] : undefined;
    throw new RestError('BAD_JSON', at !== undefined ? `The body is not valid JSON (error at position ${at})` : 'The body is not valid JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new RestError('BODY_NOT_OBJECT', `The body must be a JSON object, not ${Array.isArray(value) ? 'an array' : value === null ? 'null' : typeof value}`);
  }
  return value;
}

// ---------------------------------------------------------------------------

/** GET /health: the service answers. */
const HealthAnswer = z.object({ status: z.string().describe('ok, starting, stopping or stopped') }).describe('The service is serving');

/** Creates the server (not listening yet: call `listen` or `inject`). */
export function createRestServer(opts: RestServerOptions): FastifyInstance {
  const { api, logger } = opts;
  // Throws at once when auth is on but no credential is configured.
  const auth = opts.auth instanceof RestAuthenticator ? opts.auth : new RestAuthenticator(opts.auth);
  const errorCodes = new WeakMap<FastifyRequest, string>();

  const app = Fastify({
    ...(opts.httpLogger
      ? { loggerInstance: opts.httpLogger, logController: new RequestLogController((request) => errorCodes.get(request)) }
      : { logger: false }),
    return503OnClosing: true,
    // A browser keeps idle connections open; closing must not wait for them.
    forceCloseConnections: true,
  });
  // Every route's schemas are zod: bodies are validated and answers serialized with them.
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  registerOpenApi(app, REST_PREFIX);

  app.setErrorHandler((err: unknown, request: FastifyRequest, reply: FastifyReply) => {
    const { status, body, unexpected } = toErrorReply(fromProviderValidation(err, request) ?? err);
    if (unexpected) {
      logger.error('REST request failed', {
        method: request.method,
        path: pathOf(request),
        ...describeCause(err, urlsInBody(request.body)),
      });
    }
    errorCodes.set(request, body.code);
    // The body comes from the catalogue: send it as it is rather than through the route's
    // error schema, so an error answer can never turn into a serialization failure.
    return reply.code(status).type('application/json; charset=utf-8').serializer(JSON.stringify).send(body);
  });

  app.setNotFoundHandler((request, reply) => {
    const body: ErrorBody = { error: 'Not Found', code: 'ROUTE_NOT_FOUND', message: `No route ${request.method} ${pathOf(request)}` };
    errorCodes.set(request, body.code);
    return reply.code(404).send(body);
  });

  // Routes are declared once the document generator has loaded, so it sees every one.
  app.after(() => {
    const zapp = app.withTypeProvider<ZodTypeProvider>();
    zapp.get(
      '/health',
      {
        schema: {
          tags: ['operations'],
          summary: 'Whether the service is serving: 200, or 503 while it starts or stops',
          response: { 200: HealthAnswer, 503: HealthAnswer.describe('Starting or stopping') },
        },
      },
      async (_request, reply) => {
        const { statusCode, body } = opts.health?.() ?? { statusCode: 200, body: { status: 'ok' } };
        return reply.code(statusCode as 200 | 503).header('cache-control', 'no-store').send(body);
      },
    );

    zapp.register(
      async (rest) => {
        // Parsers are scoped to this plugin: routes added through extraRoutes keep fastify's.
        rest.removeAllContentTypeParsers();
        rest.addContentTypeParser('*', { parseAs: 'string', bodyLimit: REST_BODY_LIMIT }, async (request: FastifyRequest, body: string | Buffer) =>
          parseJsonBody(request, typeof body === 'string' ? body : body.toString('utf8')),
        );
        // An absent or empty body counts as {}: find_all is often sent with none, and a
        // route's schema then names the first missing field rather than "no body".
        rest.addHook('preValidation', async (request) => {
          if (request.body === undefined && request.routeOptions.schema?.body !== undefined) request.body = {};
        });
        // Always installed: the hook itself lets everything through while auth is off, so a
        // reload may turn auth on or off.
        rest.addHook('onRequest', auth.hook);
        registerPushRoutes(rest, api);
        if (opts.streams) registerStreamRoutes(rest, opts.streams);
        registerApiDocsRoutes(rest, REST_PREFIX);
        opts.extraApiRoutes?.(rest);
      },
      { prefix: REST_PREFIX },
    );

    opts.extraRoutes?.(zapp);
  });
  return app;
}
