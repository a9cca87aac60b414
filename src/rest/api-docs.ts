/**
 * The OpenAPI 3 document of the HTTP API, generated from the zod schemas the routes
 * declare (@fastify/swagger with the zod type provider's transforms), and its pages:
 * GET /rest-api/openapi.json and Swagger UI at /rest-api/docs, its scripts and styles
 * served from the @fastify/swagger-ui package (nothing from a CDN).
 *
 * What lands in the document: every route that declares a schema, wherever it is
 * registered (/rest-api, or the root through extraRoutes); routes without one (pages,
 * static files) stay out. The document and its pages sit under /rest-api, so they are
 * behind REST authentication exactly when the API is: public only when it is off.
 *
 * Loaded on first demand: @fastify/swagger, @fastify/swagger-ui and what they pull in
 * (yaml, @fastify/static, ~130 modules, ~2 MiB of heap) are not needed by a service
 * nobody reads the docs of. The service records its routes as they are declared; the
 * first request for the document or the docs page builds a second fastify instance that
 * never listens, with the generator, the same routes (schemas only, no handlers) and
 * Swagger UI, whose router then answers those requests.
 */
import type { SwaggerTransform, SwaggerTransformObject } from '@fastify/swagger';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest, type HTTPMethods, type RouteOptions } from 'fastify';
import { jsonSchemaTransform, jsonSchemaTransformObject, serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import { OpenAPIV3 } from 'openapi-types';
import { PACKAGE_VERSION } from '../package-version';
import type { ErrorBody } from './errors';
import { pathOf } from './request-log';
import type { ZodFastifyInstance } from './route-schemas';

/** Under the REST prefix. */
export const OPENAPI_PATH = '/openapi.json';
export const DOCS_PATH = '/docs';

const SECURITY_SCHEMES = {
  basicAuth: { type: 'http', scheme: 'basic', description: 'rest_auth_user and rest_auth_password' },
  bearerAuth: { type: 'http', scheme: 'bearer', description: 'rest_auth_token' },
} as const;

/**
 * Credentials, or none ({}): the routes need them only when REST authentication is on
 * (disable_rest_auth=false), a setting that may change while the service runs.
 */
const API_SECURITY: Array<Record<string, string[]>> = [{ basicAuth: [] }, { bearerAuth: [] }, {}];

/**
 * The zod transform, plus: a route without a schema is left out, and a route under
 * `securedPrefix` names the REST credentials.
 */
function transformFor(securedPrefix: string): SwaggerTransform {
  return (route) => {
    if (!route.schema) return { schema: { hide: true }, url: route.url };
    const out = jsonSchemaTransform(route);
    if (route.url.startsWith(`${securedPrefix}/`)) out.schema = { ...out.schema, security: API_SECURITY };
    return out;
  };
}

const SCHEMA_REF = /"#\/components\/schemas\/([^"]+)"/g;

/** The component schemas `value` refers to, and those they refer to, and so on. */
function referencedSchemas(value: unknown, schemas: Record<string, unknown>): Set<string> {
  const found = new Set<string>();
  const pending = [JSON.stringify(value)];
  for (let text = pending.pop(); text !== undefined; text = pending.pop()) {
    for (const [, name] of text.matchAll(SCHEMA_REF)) {
      if (found.has(name) || !(name in schemas)) continue;
      found.add(name);
      pending.push(JSON.stringify(schemas[name]));
    }
  }
  return found;
}

/**
 * The zod components, plus two corrections: only the component schemas the paths use
 * (the provider adds an input and an output variant of every named schema), and a body
 * without required fields is optional (no body reads as {}).
 */
const transformObject: SwaggerTransformObject = (documentObject) => {
  const doc = jsonSchemaTransformObject(documentObject) as OpenAPIV3.Document;
  const schemas = doc.components?.schemas ?? {};
  const used = referencedSchemas(doc.paths, schemas);
  for (const name of Object.keys(schemas)) if (!used.has(name)) delete schemas[name];
  for (const item of Object.values(doc.paths ?? {})) {
    for (const method of Object.values(OpenAPIV3.HttpMethods)) {
      const body = item?.[method]?.requestBody;
      if (!body || '$ref' in body) continue;
      const schema = body.content['application/json']?.schema;
      if (schema && !('$ref' in schema) && !schema.required?.length) body.required = false;
    }
  }
  return doc;
};

const DOCS_DECORATOR = 'rtmpTransponderApiDocs';

/** A route as declared on the service, kept for the document: what @fastify/swagger reads of it. */
interface DeclaredRoute {
  method: HTTPMethods | HTTPMethods[];
  url: string;
  schema: RouteOptions['schema'];
}

/** The docs instance, built on the first request for it, then kept until the service closes. */
class LazyApiDocs {
  private readonly routes: DeclaredRoute[] = [];
  private building: Promise<FastifyInstance> | undefined;
  private closed = false;

  constructor(private readonly securedPrefix: string) {}

  /** From the service's onRoute: what the document may show (a route with a visible schema). */
  record(route: RouteOptions): void {
    // HEAD routes fastify adds for each GET stay out of the document, as @fastify/swagger leaves them.
    if (route.method === 'HEAD' || !route.schema || route.schema.hide === true) return;
    this.routes.push({ method: route.method, url: route.url, schema: route.schema });
  }

  /** The docs instance, built once; a failed build is tried again by the next request. */
  instance(restPrefix: string): Promise<FastifyInstance> {
    if (this.closed) return Promise.reject(new Error('the service is closing'));
    this.building ??= this.build(restPrefix).catch((err: unknown) => {
      this.building = undefined;
      throw err;
    });
    return this.building;
  }

  async close(): Promise<void> {
    this.closed = true;
    const built = await this.building?.catch(() => undefined);
    await built?.close();
  }

  private async build(restPrefix: string): Promise<FastifyInstance> {
    /* eslint-disable @typescript-eslint/no-require-imports */
    const fastifySwagger = (require('@fastify/swagger') as typeof import('@fastify/swagger')).default;
    const fastifySwaggerUi = (require('@fastify/swagger-ui') as typeof import('@fastify/swagger-ui')).default;
    /* eslint-enable @typescript-eslint/no-require-imports */
    const docs = Fastify({ logger: false });
    docs.setValidatorCompiler(validatorCompiler);
    docs.setSerializerCompiler(serializerCompiler);
    // A file Swagger UI does not have is the service's 404, in the shape of every other.
    docs.setNotFoundHandler((request, reply) => {
      const body: ErrorBody = { error: 'Not Found', code: 'ROUTE_NOT_FOUND', message: `No route ${request.method} ${pathOf(request)}` };
      return reply.code(404).send(body);
    });
    docs.register(fastifySwagger, swaggerOptions(this.securedPrefix));
    docs.after(() => {
      for (const { method, url, schema } of this.routes) {
        docs.route({ method, url, schema, exposeHeadRoute: false, handler: async () => undefined });
      }
      docs.register(
        async (rest) => {
          rest.get(OPENAPI_PATH, { schema: { hide: true } }, async () => docs.swagger());
          rest.register(fastifySwaggerUi, {
            routePrefix: DOCS_PATH,
            // The page links its assets by absolute path when asked without a trailing slash.
            indexPrefix: restPrefix,
            theme: { title: 'rtmp-transponder API' },
          });
        },
        { prefix: restPrefix },
      );
    });
    await docs.ready();
    if (this.closed) {
      await docs.close();
      throw new Error('the service is closing');
    }
    return docs;
  }
}

/** @fastify/swagger's options: the document's header, and our transforms. */
function swaggerOptions(securedPrefix: string): import('@fastify/swagger').FastifyDynamicSwaggerOptions {
  return {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'rtmp-transponder',
        version: PACKAGE_VERSION,
        description:
          'Relays WebRTC streams published with the Flashphoner WebSDK to RTMP/RTMPS servers. ' +
          `The WCS republishing API under ${securedPrefix}/push; every error answer is {error, code, message, field?}. ` +
          'Routes under /rest-api need HTTP Basic or a Bearer token when REST authentication is on (disable_rest_auth=false).',
      },
      tags: [
        { name: 'push', description: 'WCS republishing: relay published streams to RTMP servers' },
        { name: 'operations', description: 'Health and operation of the service' },
      ],
      components: { securitySchemes: SECURITY_SCHEMES },
    },
    transform: transformFor(securedPrefix),
    transformObject,
  };
}

/**
 * Answers `request` from the docs instance: the raw request and response are handed to
 * its router, as its own server would (it never listens). The service's onRequest hooks
 * (REST authentication) have run by then.
 */
async function forward(docs: Promise<FastifyInstance>, request: FastifyRequest, reply: FastifyReply): Promise<void> {
  const instance = await docs;
  reply.hijack();
  instance.routing(request.raw, reply.raw);
}

/**
 * Registers the document generator on the root instance: records the routes declared
 * after this call (declare routes in `app.after()` or in later plugins), to be shown in
 * the document once it is first asked for.
 */
export function registerOpenApi(app: FastifyInstance, securedPrefix: string): void {
  const docs = new LazyApiDocs(securedPrefix);
  app.decorate(DOCS_DECORATOR, docs);
  app.addHook('onRoute', (route) => docs.record(route));
  app.addHook('onClose', async () => docs.close());
}

/** Adds the document and Swagger UI to the REST scope (`restPrefix` is where it is mounted). */
export function registerApiDocsRoutes(rest: ZodFastifyInstance, restPrefix: string): void {
  const docs = rest.getDecorator<LazyApiDocs>(DOCS_DECORATOR);
  const answer = (request: FastifyRequest, reply: FastifyReply): Promise<void> => forward(docs.instance(restPrefix), request, reply);
  rest.get(OPENAPI_PATH, { schema: { hide: true } }, answer);
  rest.get(DOCS_PATH, { schema: { hide: true } }, answer);
  rest.get(`${DOCS_PATH}/*`, { schema: { hide: true } }, answer);
}
