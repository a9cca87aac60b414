/**
 * The pages the service serves: the go-live page (web/index.html with the official
 * WebSDK bundle), the developer publisher page and the admin view. A fixed list of files: no path from a request
 * ever reaches the file system. web/ is found from the package's root and the WebSDK
 * through Node's module resolution, so both resolve the same under tsx and compiled.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { APP_ROOT } from './app-root';

/** A file of the package (relative to its root), or a file of an installed npm package. */
type PageSource = { file: string; type: string } | { module: string; type: string };

const PAGES: Record<string, PageSource> = {
  '/': { file: 'web/index.html', type: 'text/html; charset=utf-8' },
  '/index.html': { file: 'web/index.html', type: 'text/html; charset=utf-8' },
  '/golive.js': { file: 'web/golive.js', type: 'text/javascript; charset=utf-8' },
  '/health.js': { file: 'web/health.js', type: 'text/javascript; charset=utf-8' },
  '/sparkline.js': { file: 'web/sparkline.js', type: 'text/javascript; charset=utf-8' },
  // The developer page: a raw RTMP URL, the WebSDK's rtmpUrl, transcode fields.
  '/publisher.html': { file: 'web/publisher.html', type: 'text/html; charset=utf-8' },
  '/publisher.js': { file: 'web/publisher.js', type: 'text/javascript; charset=utf-8' },
  '/admin.html': { file: 'web/admin.html', type: 'text/html; charset=utf-8' },
  '/admin.js': { file: 'web/admin.js', type: 'text/javascript; charset=utf-8' },
  '/common.js': { file: 'web/common.js', type: 'text/javascript; charset=utf-8' },
  // Generated from src/rtmp/redact-rtmp-url.ts (tools/gen-web-redaction.ts): the service's own rule.
  '/redaction.js': { file: 'web/redaction.js', type: 'text/javascript; charset=utf-8' },
  '/flashphoner.js': { module: '@flashphoner/websdk/flashphoner.js', type: 'text/javascript; charset=utf-8' },
};

/** The file's absolute path; undefined when its npm package is not installed (the page then answers 404). */
function pathOf(page: PageSource): string | undefined {
  if ('file' in page) return path.join(APP_ROOT, page.file);
  try {
    return require.resolve(page.module);
  } catch {
    return undefined;
  }
}

export function registerPages(app: FastifyInstance): void {
  for (const [route, page] of Object.entries(PAGES)) {
    const file = pathOf(page);
    app.get(route, async (_req, reply) => {
      // Read on each request: small files, and edits show without a restart.
      const body = file === undefined ? undefined : await fs.promises.readFile(file).catch(() => undefined);
      if (!body) return reply.code(404).send({ error: 'Not Found', code: 'NOT_FOUND', message: `${route} is not available` });
      return reply.header('content-type', page.type).header('cache-control', 'no-cache').send(body);
    });
  }
}
