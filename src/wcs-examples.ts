/**
 * Flashphoner's own example pages, unchanged, where WCS serves them:
 * `/client2/examples/demo/<…>` from the `examples/demo` folder of the installed
 * @flashphoner/websdk package (read-only), and `/client2/flashphoner.js` (the pages load
 * `../../../../flashphoner.js`). Only files under that folder with a known web type are
 * served: a request path is checked segment by segment (no `..`, `.`, empty, backslash or
 * NUL segment), then resolved and held, with symlinks resolved, under the folder.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { FastifyInstance, FastifyReply } from 'fastify';

export const WCS_EXAMPLES_PREFIX = '/client2/examples/demo/';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.gif': 'image/gif',
  '.svg': 'image/svg+xml',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.otf': 'font/otf',
  '.eot': 'application/vnd.ms-fontobject',
  '.mp3': 'audio/mpeg',
  '.mp4': 'video/mp4',
};

/** The installed WebSDK package's folder. */
export function websdkDir(): string {
  return path.dirname(require.resolve('@flashphoner/websdk/package.json'));
}

/**
 * The file a request path names under `root`, or undefined: `relative` is the decoded part
 * after the prefix. Pure (no file system): the caller still checks the real path.
 */
export function examplePath(root: string, relative: string): string | undefined {
  if (relative.length === 0 || relative.length > 512) return undefined;
  const segments = relative.split('/');
  for (const segment of segments) {
    if (segment === '' || segment === '.' || segment === '..' || segment.includes('\\') || segment.includes('\0')) return undefined;
  }
  if (!(path.extname(relative).toLowerCase() in TYPES)) return undefined;
  const file = path.resolve(root, ...segments);
  return file.startsWith(root + path.sep) ? file : undefined;
}

function notFound(reply: FastifyReply, what: string): FastifyReply {
  return reply.code(404).send({ error: 'Not Found', code: 'NOT_FOUND', message: `${what} is not available` });
}

export function registerWcsExamples(app: FastifyInstance, sdkDir: string = websdkDir()): void {
  const root = path.join(sdkDir, 'examples', 'demo');
  let realRoot: string | undefined;
  let realSdk: string | undefined;
  /** Sends `file` when its real path is `allowed`; anything else is a plain 404. */
  const send = async (reply: FastifyReply, file: string, allowed: (real: string) => boolean): Promise<FastifyReply> => {
    try {
      realRoot ??= await fs.promises.realpath(root);
      realSdk ??= await fs.promises.realpath(sdkDir);
      const real = await fs.promises.realpath(file);
      if (!allowed(real)) return notFound(reply, 'This page');
      const stat = await fs.promises.stat(real);
      if (!stat.isFile()) return notFound(reply, 'This page');
      const type = TYPES[path.extname(real).toLowerCase()] ?? 'application/octet-stream';
      return await reply
        .header('content-type', type)
        .header('content-length', stat.size)
        .header('cache-control', 'no-cache')
        .header('x-content-type-options', 'nosniff')
        .send(fs.createReadStream(real));
    } catch {
      return notFound(reply, 'This page');
    }
  };

  app.get('/client2/flashphoner.js', async (_req, reply) =>
    send(reply, path.join(sdkDir, 'flashphoner.js'), (real) => real === path.join(realSdk ?? sdkDir, 'flashphoner.js')));
  app.get(`${WCS_EXAMPLES_PREFIX}*`, async (req, reply) => {
    const relative = (req.params as Record<string, string | undefined>)['*'] ?? '';
    const file = examplePath(root, relative);
    if (!file) return notFound(reply, 'This path');
    return send(reply, file, (real) => real.startsWith((realRoot ?? root) + path.sep));
  });
}
