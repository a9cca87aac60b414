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
 */
import fastifySwagger, { type SwaggerTransform, type SwaggerTransformObject } from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { jsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod';
import { OpenAPIV3 } from 'openapi-types';
import { PACKAGE_VERSION } from '../package-version';
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

/**
 * Registers the document generator on the root instance. It sees only the routes
 * declared after it has loaded: declare routes in `app.after()` or in later plugins.
 */
export function registerOpenApi(app: FastifyInstance, securedPrefix: string): void {
  app.register(fastifySwagger, {
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
  });
}

/** Adds the document and Swagger UI to the REST scope (`restPrefix` is where it is mounted). */
export function registerApiDocsRoutes(rest: ZodFastifyInstance, restPrefix: string): void {
  rest.get(OPENAPI_PATH, { schema: { hide: true } }, async () => rest.swagger());
  rest.register(fastifySwaggerUi, {
    routePrefix: DOCS_PATH,
    // The page links its assets by absolute path when asked without a trailing slash.
    indexPrefix: restPrefix,
    theme: { title: 'rtmp-transponder API' },
  });
}
