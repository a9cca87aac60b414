/**
 * The official example pages at WCS's path, served from the installed WebSDK package:
 * the pages and what they load, and nothing outside the package's examples folder.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { examplePath, registerWcsExamples, websdkDir } from '../../src/wcs-examples';

describe('WCS example pages (/client2/examples/demo/…)', () => {
  let app: FastifyInstance;
  let tmp: string | undefined;

  afterEach(async () => {
    await app?.close();
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
    tmp = undefined;
  });

  async function serve(sdkDir?: string): Promise<void> {
    app = Fastify();
    registerWcsExamples(app, sdkDir);
    await app.listen({ port: 0, host: '127.0.0.1' });
  }

  interface Answer { statusCode: number; headers: http.IncomingHttpHeaders; rawPayload: Buffer; body: string }

  /** A GET with the path exactly as given (fetch would normalize the dot segments away). */
  function get(rawPath: string): Promise<Answer> {
    const { port } = app.server.address() as AddressInfo;
    return new Promise((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port, path: rawPath, method: 'GET', agent: false }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const rawPayload = Buffer.concat(chunks);
          resolve({ statusCode: res.statusCode ?? 0, headers: res.headers, rawPayload, body: rawPayload.toString('utf8') });
        });
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end();
    });
  }

  it('serves a page, the files it loads by relative path, and flashphoner.js byte for byte from the package', async () => {
    await serve();
    const page = await get('/client2/examples/demo/streaming/two_way_streaming/two_way_streaming.html');
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    const html = page.body;
    expect(html).toBe(fs.readFileSync(path.join(websdkDir(), 'examples/demo/streaming/two_way_streaming/two_way_streaming.html'), 'utf8'));
    // Every local script and stylesheet of the page resolves to a served file.
    const refs = [...html.matchAll(/(?:src|href)="([^"]+\.(?:js|css))"/g)].map((m) => m[1]!).filter((r) => !/^https?:/.test(r));
    expect(refs.length).toBeGreaterThanOrEqual(5);
    for (const ref of refs) {
      const url = new URL(ref, 'http://h/client2/examples/demo/streaming/two_way_streaming/two_way_streaming.html').pathname;
      const res = await get(url);
      expect({ url, status: res.statusCode }).toEqual({ url, status: 200 });
    }
    const sdk = await get('/client2/flashphoner.js');
    expect(sdk.statusCode).toBe(200);
    expect(sdk.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(sdk.rawPayload.equals(fs.readFileSync(path.join(websdkDir(), 'flashphoner.js')))).toBe(true);
  });

  it.each([
    '/client2/examples/demo/../../package.json',
    '/client2/examples/demo/%2e%2e/%2e%2e/package.json',
    '/client2/examples/demo/streaming/..%2f..%2f..%2fpackage.json',
    '/client2/examples/demo/streaming/%2e%2e/%2e%2e/%2e%2e/src/flashphoner-core.js',
    '/client2/examples/demo/..%5c..%5cflashphoner.js',
    '/client2/examples/demo/streaming//two_way_streaming/two_way_streaming.js',
    '/client2/examples/demo/streaming/two_way_streaming/',
    '/client2/examples/demo/streaming/webrtc_sip_conference/%00.js',
    '/client2/examples/demo/dependencies/swf/',
    '/client2/examples/demo/streaming/no_such_page/no_such_page.html',
  ])('refuses %s with 404 and nothing from outside the folder', async (url) => {
    await serve();
    const res = await get(url);
    expect(res.statusCode).toBe(404);
    expect(res.body).not.toContain('"name"');
    expect(res.body).not.toContain('Flashphoner');
  });

  it('serves only web file types (no .properties, .as, .mxml project files)', async () => {
    const demo = path.join(websdkDir(), 'examples/demo');
    const other = fs.readdirSync(demo, { recursive: true, encoding: 'utf8' }).find((f) => f.endsWith('.properties') || f.endsWith('.as'));
    expect(other).toBeDefined();
    await serve();
    expect((await get(`/client2/examples/demo/${other!}`)).statusCode).toBe(404);
  });

  it('a symlink inside the folder that leads out of it is not followed', async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'websdk-'));
    fs.mkdirSync(path.join(tmp, 'examples/demo/streaming'), { recursive: true });
    fs.writeFileSync(path.join(tmp, 'secret.js'), 'secret');
    fs.writeFileSync(path.join(tmp, 'examples/demo/streaming/ok.js'), 'ok');
    fs.symlinkSync(path.join(tmp, 'secret.js'), path.join(tmp, 'examples/demo/streaming/leak.js'));
    await serve(tmp);
    expect((await get('/client2/examples/demo/streaming/ok.js')).body).toBe('ok');
    const leak = await get('/client2/examples/demo/streaming/leak.js');
    expect(leak.statusCode).toBe(404);
    expect(leak.body).not.toContain('secret');
  });

  it('examplePath keeps every accepted path under the root', () => {
    const root = '/srv/demo';
    expect(examplePath(root, 'streaming/a/a.html')).toBe('/srv/demo/streaming/a/a.html');
    for (const bad of ['', '..', 'a/../../x.js', './a.js', 'a//b.js', 'a\\..\\b.js', 'x.js\0', 'a/b.exe', 'a/b']) {
      expect(examplePath(root, bad)).toBeUndefined();
    }
  });
});
