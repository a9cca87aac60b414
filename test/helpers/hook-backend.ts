/**
 * A REST hook backend for tests, as a customer would write one for WCS: a small fastify
 * app on 127.0.0.1 that answers POST /<app>/<method>, records every call (method, body,
 * raw bytes, headers, whether the signature matched) and answers as the test scripts it.
 * By default it echoes the body with 200, as the WCS docs advise backends to do.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyInstance } from 'fastify';

export interface HookCall {
  app: string;
  method: string;
  body: Record<string, unknown>;
  raw: Buffer;
  headers: IncomingHttpHeaders;
  /** with verify set: whether the Authorization header matched the body */
  signatureOk?: boolean;
}

export interface HookReply {
  status?: number;
  /** JSON body; default: the request body echoed */
  body?: unknown;
  /** sent as is instead of JSON */
  rawBody?: string;
  /** answer only after this long (or never, when the backend stops first) */
  delayMs?: number;
}

export type HookScript = (call: HookCall) => HookReply | undefined;

export class HookBackend {
  readonly calls: HookCall[] = [];
  /** per method; methods not named get the default (200, echo) */
  script: HookScript = () => undefined;
  /** check `Authorization` as a WCS backend does; a mismatch answers 403 */
  verify?: { key: string; algorithm: 'md5' | 'sha256' };
  private app?: FastifyInstance;
  private readonly delays = new Set<{ timer: NodeJS.Timeout; resolve: () => void }>();

  get port(): number {
    return (this.app!.server.address() as AddressInfo).port;
  }

  /** The base URL for rest_hook_url, e.g. http://127.0.0.1:PORT/EchoApp */
  url(app = 'EchoApp'): string {
    return `http://127.0.0.1:${this.port}/${app}`;
  }

  callsOf(method: string): HookCall[] {
    return this.calls.filter((c) => c.method === method);
  }

  async start(): Promise<void> {
    const app = Fastify({ logger: false });
    app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
    app.post<{ Params: { app: string; method: string } }>('/:app/:method', async (request, reply) => {
      const raw = request.body as Buffer;
      const call: HookCall = {
        app: request.params.app,
        method: request.params.method,
        body: JSON.parse(raw.toString('utf8')) as Record<string, unknown>,
        raw,
        headers: request.headers,
      };
      if (this.verify) call.signatureOk = this.signatureMatches(raw, request.headers.authorization);
      this.calls.push(call);
      if (call.signatureOk === false) return reply.code(403).send({ status: 403, reason: 'Bad signature' });
      const r = this.script(call) ?? {};
      if (r.delayMs !== undefined) await this.wait(r.delayMs);
      reply.code(r.status ?? 200);
      if (r.rawBody !== undefined) return reply.type('text/plain').send(r.rawBody);
      return reply.type('application/json').send(JSON.stringify(r.body ?? call.body));
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    this.app = app;
  }

  /** Answers every delayed request now. */
  releaseDelayed(): void {
    for (const d of this.delays) {
      clearTimeout(d.timer);
      d.resolve();
    }
    this.delays.clear();
  }

  /** Ends every delayed answer and every connection. */
  async stop(): Promise<void> {
    for (const d of this.delays) {
      clearTimeout(d.timer);
      d.resolve();
    }
    this.delays.clear();
    const app = this.app;
    this.app = undefined;
    if (!app) return;
    app.server.closeAllConnections();
    await app.close();
  }

  private wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const d = {
        timer: setTimeout(() => {
          this.delays.delete(d);
          resolve();
        }, ms),
        resolve,
      };
      this.delays.add(d);
    });
  }

  private signatureMatches(raw: Buffer, header: string | undefined): boolean {
    const { key, algorithm } = this.verify!;
    const scheme = algorithm === 'md5' ? 'WCS' : 'HMAC-SHA256';
    const m = /^(\S+) ([0-9a-f]+)$/.exec(header ?? '');
    if (!m || m[1] !== scheme) return false;
    const expected = createHmac(algorithm, key).update(raw).digest();
    const given = Buffer.from(m[2]!, 'hex');
    return given.length === expected.length && timingSafeEqual(given, expected);
  }
}
