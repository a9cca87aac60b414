/**
 * The OpenAPI document and Swagger UI are built on the first request for them
 * (src/rest/api-docs.ts): what that laziness could break. The document's content and
 * the page's assets are tested in openapi.test.ts.
 */
import { inject, makeServer, type Harness } from './fake-transponder-api';

let h: Harness | undefined;
afterEach(async () => {
  await h?.app.close();
  h = undefined;
});

describe('the API docs, built on first demand', () => {
  test('first requests arriving together are all answered, with one and the same document', async () => {
    h = makeServer();
    const app = h.app;
    const urls = ['/rest-api/openapi.json', '/rest-api/docs/json', '/rest-api/docs/', '/rest-api/openapi.json', '/rest-api/docs/static/swagger-initializer.js'];
    // Listening first, so the requests race on the docs, not on the listen.
    await inject(app, { method: 'GET', url: '/health' });
    const answers = await Promise.all(urls.map((url) => inject(app, { method: 'GET', url })));
    expect(answers.map((a, i) => [urls[i], a.statusCode])).toEqual(urls.map((url) => [url, 200]));
    const documents = [answers[0], answers[1], answers[3]].map((a) => a.json() as { openapi: string; paths: Record<string, unknown> });
    expect(documents[0].openapi).toMatch(/^3\./);
    expect(Object.keys(documents[0].paths)).toContain('/rest-api/push/startup');
    expect(documents[1]).toEqual(documents[0]);
    expect(documents[2]).toEqual(documents[0]);
  });

  test('a file Swagger UI does not have is a 404 in the service\'s error shape', async () => {
    h = makeServer();
    const res = await inject(h.app, { method: 'GET', url: '/rest-api/docs/static/no-such-file.js' });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ error: 'Not Found', code: 'ROUTE_NOT_FOUND' });
  });

});
