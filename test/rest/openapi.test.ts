import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import SwaggerParser from '@apidevtools/swagger-parser';
import type { OpenAPIV3 } from 'openapi-types';
import { z } from 'zod';
import { apiResponses, BODY_ERROR_CODES, ERROR_CATALOGUE, PUSH_PATHS, STREAM_PATHS, type RestErrorCode } from '../../src/rest';
import { inject, makeServer, type Harness } from './fake-transponder-api';
import { registerSettingsRoutes } from '../../src/rest/settings-routes';
import { registerClusterApiRoutes } from '../../src/cluster';

const CREDENTIALS = { disabled: false, user: 'admin', password: 'pw', token: 'tok-0123456789' };
const BEARER = { authorization: `Bearer ${CREDENTIALS.token}` };

let h: Harness;
afterEach(async () => {
  await h.app.close();
});

async function getDocument(app: Harness['app'], headers: Record<string, string> = {}): Promise<OpenAPIV3.Document> {
  const res = await inject(app, { method: 'GET', url: '/rest-api/openapi.json', headers });
  expect(res.statusCode).toBe(200);
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  return res.json() as OpenAPIV3.Document;
}

function operation(doc: OpenAPIV3.Document, path: string, method: 'get' | 'post'): OpenAPIV3.OperationObject | undefined {
  return doc.paths[path]?.[method];
}

function statuses(op: OpenAPIV3.OperationObject | undefined): number[] {
  return Object.keys(op?.responses ?? {})
    .map(Number)
    .sort((a, b) => a - b);
}

/** The error codes a route documents for one status (the enum of the error body's `code`). */
function documentedCodes(op: OpenAPIV3.OperationObject | undefined, status: number): string[] {
  const response = op?.responses[String(status)] as OpenAPIV3.ResponseObject | undefined;
  const schema = response?.content?.['application/json']?.schema as OpenAPIV3.SchemaObject | undefined;
  const code = schema?.properties?.code as OpenAPIV3.SchemaObject | undefined;
  return (code?.enum ?? []) as string[];
}

describe('GET /rest-api/openapi.json', () => {
  beforeEach(() => {
    // Every route the service registers under /rest-api, so each catalogue code has its route.
    h = makeServer({
      extraApiRoutes: (rest) => {
        registerSettingsRoutes(rest, { reload: undefined, problemsOf: () => undefined });
        registerClusterApiRoutes(rest, async () => []);
      },
    });
  });

  test('is a valid OpenAPI 3 document', async () => {
    const doc = await getDocument(h.app);
    expect(doc.openapi).toMatch(/^3\./);
    // validate() dereferences in place: give it a copy. It throws on any schema violation.
    await expect(SwaggerParser.validate(structuredClone(doc) as never)).resolves.toBeDefined();
  });

  test('the validator does refuse a broken document (the check above can fail)', async () => {
    const doc = await getDocument(h.app);
    const broken = structuredClone(doc);
    (operation(broken, '/rest-api/push/startup', 'post') as { responses: unknown }).responses = 'none';
    await expect(SwaggerParser.validate(broken as never)).rejects.toThrow();
  });

  test('documents every push method with its body, its answers and the REST credentials', async () => {
    const doc = await getDocument(h.app);
    for (const path of PUSH_PATHS) {
      const op = operation(doc, `/rest-api${path}`, 'post');
      expect(op).toBeDefined();
      expect(op?.tags).toEqual(['push']);
      expect((op?.requestBody as OpenAPIV3.RequestBodyObject | undefined)?.content['application/json']).toBeDefined();
      expect(statuses(op)).toEqual(expect.arrayContaining([200, 400, 401, 500]));
      expect(op?.security).toEqual([{ basicAuth: [] }, { bearerAuth: [] }, {}]);
    }
    expect(doc.components?.securitySchemes).toEqual({
      basicAuth: expect.objectContaining({ type: 'http', scheme: 'basic' }),
      bearerAuth: expect.objectContaining({ type: 'http', scheme: 'bearer' }),
    });
  });

  test('documents every stream method with its body, its answers (404 when none) and the REST credentials', async () => {
    const doc = await getDocument(h.app);
    for (const path of STREAM_PATHS) {
      const op = operation(doc, `/rest-api${path}`, 'post');
      expect(op?.tags).toEqual(['stream']);
      expect(statuses(op)).toEqual([200, 400, 401, 404, 429, 500]);
      expect(documentedCodes(op, 404)).toEqual(['STREAM_NOT_FOUND']);
      expect(op?.security).toEqual([{ basicAuth: [] }, { bearerAuth: [] }, {}]);
    }
  });

  test('the transcode fields are described from the bounds of the transponder', async () => {
    const doc = await getDocument(h.app);
    const body = (operation(doc, '/rest-api/push/startup', 'post')?.requestBody as OpenAPIV3.RequestBodyObject).content['application/json']
      .schema as OpenAPIV3.SchemaObject;
    expect(body.required).toEqual(['streamName', 'rtmpUrl']);
    expect((body.properties?.width as OpenAPIV3.SchemaObject).description).toBe('An integer from 2 to 8192 pixels; 0 or null: not set');
    expect((body.properties?.keyFrameInterval as OpenAPIV3.SchemaObject).description).toBe('An integer from 1 to 3600 frames; 0 or null: not set');
  });

  test('a body without required fields is optional, as the server reads no body as {}', async () => {
    const doc = await getDocument(h.app);
    const body = (path: string) => operation(doc, path, 'post')?.requestBody as OpenAPIV3.RequestBodyObject;
    expect(body('/rest-api/push/find_all').required).toBe(false);
    expect(body('/rest-api/push/find').required).toBe(false);
    expect(body('/rest-api/push/startup').required).toBe(true);
  });

  test('an error answer documents the catalogue codes of its status, and each code has the status of the catalogue', async () => {
    const doc = await getDocument(h.app);
    const startup = operation(doc, '/rest-api/push/startup', 'post');
    expect(documentedCodes(startup, 409)).toEqual(['TRANSPONDER_EXISTS']);
    expect(documentedCodes(startup, 503)).toEqual(['LIMIT_REACHED', 'SERVICE_STOPPING']);
    expect(documentedCodes(operation(doc, '/rest-api/push/mute', 'post'), 409)).toEqual(['TRANSPONDER_ENDED']);
    const seen = new Set<string>();
    for (const path of Object.keys(doc.paths)) {
      const op = operation(doc, path, 'post') ?? operation(doc, path, 'get');
      for (const status of statuses(op).filter((s) => s >= 400)) {
        for (const code of documentedCodes(op, status)) {
          expect([code, ERROR_CATALOGUE[code as RestErrorCode].status]).toEqual([code, status]);
          seen.add(code);
        }
      }
    }
    // A code added to the catalogue must be declared on the routes that answer it.
    const undocumented = Object.keys(ERROR_CATALOGUE).filter((c) => !seen.has(c) && c !== 'ROUTE_NOT_FOUND');
    expect(undocumented).toEqual([]);
  });

  test('GET /health is documented; the document and the docs page are not operations of it', async () => {
    const doc = await getDocument(h.app);
    expect(statuses(operation(doc, '/health', 'get'))).toEqual([200, 503]);
    expect(Object.keys(doc.paths).filter((p) => p.includes('openapi') || p.includes('/docs'))).toEqual([]);
  });
});

describe('answers are held to the document', () => {
  beforeEach(() => {
    h = makeServer();
  });

  test('an answer that breaks its documented schema is a 500 in our shape, logged, never sent half-right', async () => {
    h.api.add({ status: 'DANCING' as never });
    const res = await inject(h.app, { method: 'POST', url: '/rest-api/push/find_all' });
    expect(res.statusCode).toBe(500);
    expect(res.json()).toEqual({ error: 'Internal Server Error', code: 'INTERNAL_ERROR', message: 'Internal error' });
    expect(h.logger.lines.filter((l) => l.level === 'error')).toEqual([
      expect.objectContaining({ msg: 'REST request failed', fields: expect.objectContaining({ path: '/rest-api/push/find_all' }) }),
    ]);
  });
});

describe('routes added through extraRoutes and extraApiRoutes', () => {
  const Reloaded = z.object({ changed: z.array(z.string()) }).describe('What changed');

  beforeEach(() => {
    h = makeServer({
      extraApiRoutes: (rest) => {
        rest.post(
          '/settings/reload',
          {
            schema: {
              tags: ['settings'],
              body: z.object({ dryRun: z.boolean().optional() }),
              response: apiResponses({ 200: Reloaded }, ['INVALID_PARAMETER', ...BODY_ERROR_CODES]),
            },
          },
          // The body is typed from its schema.
          async (request) => ({ changed: request.body.dryRun ? [] : ['log_level'] }),
        );
      },
      extraRoutes: (app) => {
        // A text answer (Prometheus' format) is documented with its media type and sent as it is.
        app.get(
          '/metrics-like',
          { schema: { tags: ['operations'], response: { 200: { description: 'Metrics', content: { 'text/plain': { schema: z.string() } } } } } },
          async (_req, reply) => reply.type('text/plain; version=0.0.4').send('x_total 1\n'),
        );
        app.get('/page.html', async (_req, reply) => reply.type('text/html').send('<p>hi</p>'));
      },
    });
  });

  test('land in the document when they declare schemas; routes without a schema stay out', async () => {
    const doc = await getDocument(h.app);
    const reload = operation(doc, '/rest-api/settings/reload', 'post');
    expect(statuses(reload)).toEqual([200, 400, 401, 429, 500]);
    expect(reload?.security).toEqual([{ basicAuth: [] }, { bearerAuth: [] }, {}]);
    const metrics = operation(doc, '/metrics-like', 'get');
    expect(statuses(metrics)).toEqual([200]);
    expect(Object.keys((metrics?.responses[200] as OpenAPIV3.ResponseObject).content ?? {})).toEqual(['text/plain']);
    expect(metrics?.security).toBeUndefined();
    expect(doc.paths['/page.html']).toBeUndefined();
    await expect(SwaggerParser.validate(structuredClone(doc) as never)).resolves.toBeDefined();
  });

  test('are validated by their schema, with the error answer of the catalogue', async () => {
    const bad = await inject(h.app, { method: 'POST', url: '/rest-api/settings/reload', payload: '{"dryRun":"yes"}' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toEqual({ error: 'Bad Request', code: 'INVALID_PARAMETER', message: 'dryRun must be a boolean, not a string', field: 'dryRun' });
    const good = await inject(h.app, { method: 'POST', url: '/rest-api/settings/reload' });
    expect(good.statusCode).toBe(200);
    expect(good.json()).toEqual({ changed: ['log_level'] });
  });

  test('a text answer is sent as it is, not as a JSON string', async () => {
    const res = await inject(h.app, { method: 'GET', url: '/metrics-like' });
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(res.body).toBe('x_total 1\n');
  });
});

// ---------------------------------------------------------------------------
// The README's API table and the document cannot drift apart.

interface ReadmeRow {
  routes: string[];
  statuses: number[];
}

const README = readFileSync(join(__dirname, '..', '..', 'README.md'), 'utf8');
const STATUS = /\b[1-5]\d\d\b/g;

/**
 * The rows of every `| POST /rest-api/… | body | answer |` table (push/*, stream/*): routes
 * of the first cell, statuses of the last.
 */
function readmeTable(): ReadmeRow[] {
  const lines = README.split('\n');
  const headers = lines.flatMap((l, i) => (l.startsWith('| `POST /rest-api/…`') ? [i] : []));
  expect(headers.length).toBeGreaterThanOrEqual(2);
  const rows: ReadmeRow[] = [];
  for (const header of headers) {
    for (const line of lines.slice(header + 2)) {
      if (!line.startsWith('|')) break;
      const cells = line.split('|').slice(1, -1);
      const routes = [...cells[0].matchAll(/`((?:push|stream)\/\w+)`/g)].map((m) => `/rest-api/${m[1]}`);
      rows.push({ routes, statuses: [...cells[cells.length - 1].matchAll(STATUS)].map((m) => Number(m[0])) });
    }
  }
  return rows;
}

/** The statuses of the sentence under the table that every method also answers. */
function readmeCommonStatuses(): number[] {
  const line = README.split('\n').find((l) => l.startsWith('Every method also answers'));
  expect(line).toBeDefined();
  return [...(line ?? '').matchAll(STATUS)].map((m) => Number(m[0]));
}

describe("the README's REST API table", () => {
  beforeEach(() => {
    h = makeServer();
  });

  test('is found and names every push and stream method once', () => {
    const routes = readmeTable().flatMap((r) => r.routes);
    expect(routes.length).toBeGreaterThan(0);
    expect(new Set(routes).size).toBe(routes.length);
    expect(readmeCommonStatuses()).toEqual(expect.arrayContaining([400, 401, 500]));
  });

  test('every route and status it lists is in the document', async () => {
    const doc = await getDocument(h.app);
    for (const row of readmeTable()) {
      for (const route of row.routes) {
        const op = operation(doc, route, 'post');
        expect([route, op !== undefined]).toEqual([route, true]);
        for (const status of [...row.statuses, ...readmeCommonStatuses()]) {
          expect([route, status, statuses(op).includes(status)]).toEqual([route, status, true]);
        }
      }
    }
  });

  test('every push and stream route and status of the document is in it', async () => {
    const doc = await getDocument(h.app);
    const rows = readmeTable();
    const apiPaths = Object.keys(doc.paths).filter((p) => p.startsWith('/rest-api/push/') || p.startsWith('/rest-api/stream/'));
    expect(apiPaths.sort()).toEqual([...PUSH_PATHS, ...STREAM_PATHS].map((p) => `/rest-api${p}`).sort());
    for (const path of apiPaths) {
      const row = rows.find((r) => r.routes.includes(path));
      expect([path, row !== undefined]).toEqual([path, true]);
      const listed = new Set([...(row?.statuses ?? []), ...readmeCommonStatuses()]);
      for (const status of statuses(operation(doc, path, 'post'))) {
        expect([path, status, listed.has(status)]).toEqual([path, status, true]);
      }
    }
  });
});

// ---------------------------------------------------------------------------
// The docs page

/** The href and src of a page, resolved against its URL. */
function assetsOf(html: string, pageUrl: string): string[] {
  const base = new URL(pageUrl, 'http://service.invalid');
  return [...html.matchAll(/(?:href|src)="([^"]+)"/g)].map((m) => {
    const url = new URL(m[1], base);
    return url.origin === base.origin ? url.pathname : url.href;
  });
}

describe('GET /rest-api/docs', () => {
  test.each(['/rest-api/docs', '/rest-api/docs/'])('%s answers HTML whose scripts and styles all load from the service', async (page) => {
    h = makeServer();
    const res = await inject(h.app, { method: 'GET', url: page });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    const assets = assetsOf(res.body, page);
    // The Swagger UI bundle, its preset, the initializer and the stylesheet at least.
    expect(assets.filter((a) => a.endsWith('.js')).length).toBeGreaterThanOrEqual(3);
    expect(assets.some((a) => a.endsWith('.css'))).toBe(true);
    for (const asset of assets) {
      expect(asset).toMatch(/^\/rest-api\/docs\//); // nothing from a CDN
      const got = await inject(h.app, { method: 'GET', url: asset });
      expect([asset, got.statusCode]).toEqual([asset, 200]);
      expect(got.body.length).toBeGreaterThan(0);
      if (asset.endsWith('.js')) expect(got.headers['content-type']).toMatch(/javascript/);
      if (asset.endsWith('.css')) expect(got.headers['content-type']).toMatch(/^text\/css/);
    }
  });

  test('the page reads the same document as /rest-api/openapi.json', async () => {
    h = makeServer();
    const init = await inject(h.app, { method: 'GET', url: '/rest-api/docs/static/swagger-initializer.js' });
    expect(init.body).toContain("resolveUrl('./json')");
    const json = await inject(h.app, { method: 'GET', url: '/rest-api/docs/json' });
    expect(json.statusCode).toBe(200);
    expect(json.json()).toEqual(await getDocument(h.app));
  });
});

describe('who may read the document and the docs page', () => {
  test('anyone, when REST auth is off', async () => {
    h = makeServer({ auth: { disabled: true } });
    await getDocument(h.app);
    expect((await inject(h.app, { method: 'GET', url: '/rest-api/docs' })).statusCode).toBe(200);
  });

  test.each(['/rest-api/openapi.json', '/rest-api/docs', '/rest-api/docs/json', '/rest-api/docs/static/swagger-ui-bundle.js'])(
    'with REST auth on, %s needs the credentials',
    async (url) => {
      h = makeServer({ auth: CREDENTIALS });
      const refused = await inject(h.app, { method: 'GET', url });
      expect(refused.statusCode).toBe(401);
      expect(refused.headers['www-authenticate']).toMatch(/^Basic /);
      expect((await inject(h.app, { method: 'GET', url, headers: BEARER })).statusCode).toBe(200);
    },
  );
});
