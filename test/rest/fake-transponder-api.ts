/**
 * Test doubles for the REST tests: an in-memory TransponderApi that records its calls and
 * can be told to fail, and a logger that keeps every line it is given.
 */
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { createRestServer, type RestLogger, type RestServerOptions } from '../../src/rest';
import { FakeStreamApi } from './fake-stream-api';
import { LogCapture } from '../helpers/log-capture';
import {
  TransponderError,
  type StartupRequest,
  type TransponderApi,
  type TransponderFilter,
  type TransponderInfo,
} from '../../src/transponder/transponder-api';

export type Call = { method: string; args: unknown[] };

export class FakeTransponderApi implements TransponderApi {
  readonly calls: Call[] = [];
  readonly transponders = new Map<string, TransponderInfo>();
  /** When set, the next call of that method throws it. */
  failWith = new Map<string, unknown>();
  private next = 1;

  private enter(method: string, ...args: unknown[]): void {
    this.calls.push({ method, args });
    const failure = this.failWith.get(method);
    if (failure !== undefined) {
      this.failWith.delete(method);
      throw failure;
    }
  }

  private get(id: string): TransponderInfo {
    const t = this.transponders.get(id);
    if (!t) throw new TransponderError('TRANSPONDER_NOT_FOUND', 'Transponder not found', 'mediaSessionId');
    return t;
  }

  add(partial: Partial<TransponderInfo> = {}): TransponderInfo {
    const id = partial.mediaSessionId ?? `session-${this.next++}`;
    const info: TransponderInfo = {
      mediaSessionId: id,
      streamName: 'rtmp_cam1',
      sourceStreamName: 'cam1',
      rtmpUrl: 'rtmp://localhost:1935/live',
      width: 320,
      height: 240,
      muted: false,
      soundEnabled: false,
      options: {},
      status: 'PUBLISHING',
      transcoding: false,
      stats: { bytesSent: 10, bitrateKbps: 2500, framesSent: 30, videoFramesSent: 15, framesDropped: 0, videoFramesDropped: 0, audioFramesDropped: 0, queuedBytes: 0, lagHolds: 0, restoreAttempts: 0, restores: 0, bufferMs: 0 },
      createdAt: 1_700_000_000_000,
      ...partial,
    };
    this.transponders.set(id, info);
    return info;
  }

  async startup(req: StartupRequest): Promise<TransponderInfo> {
    this.enter('startup', req);
    return this.add({
      streamName: `rtmp_${req.streamName}`,
      sourceStreamName: req.streamName,
      rtmpUrl: req.rtmpUrl,
      muted: req.options?.action === 'mute',
      soundEnabled: req.options?.action === 'sound_on',
      options: { ...req.options },
      status: 'PENDING',
    });
  }

  find(filter: TransponderFilter): TransponderInfo[] {
    this.enter('find', filter);
    return [...this.transponders.values()].filter(
      (t) => (filter.streamName === undefined || t.sourceStreamName === filter.streamName || t.streamName === filter.streamName) &&
        (filter.rtmpUrl === undefined || t.rtmpUrl === filter.rtmpUrl),
    );
  }

  findAll(): TransponderInfo[] {
    this.enter('findAll');
    return [...this.transponders.values()];
  }

  async terminate(id: string): Promise<void> {
    this.enter('terminate', id);
    this.get(id);
    this.transponders.delete(id);
  }

  mute(id: string): void {
    this.enter('mute', id);
    this.get(id).muted = true;
  }

  unmute(id: string): void {
    this.enter('unmute', id);
    this.get(id).muted = false;
  }

  async soundOn(id: string, soundFile: string, loop: boolean): Promise<void> {
    this.enter('soundOn', id, soundFile, loop);
    this.get(id).soundEnabled = true;
  }

  soundOff(id: string): void {
    this.enter('soundOff', id);
    this.get(id).soundEnabled = false;
  }
}

export interface LogLine {
  level: 'debug' | 'info' | 'warn' | 'error';
  msg: string;
  fields?: Record<string, unknown>;
}

/**
 * The service's real logger writing into memory: the REST server's own lines and
 * fastify's request lines (through `httpLogger`) land here, redacted as in production.
 * `lines` are the parsed lines (fields without time, pid, hostname and reqId).
 */
export class RecordingLogger implements RestLogger {
  readonly capture = new LogCapture();
  readonly log = this.capture.logger('debug');
  readonly httpLogger = this.log.httpLogger;

  info(msg: string, fields?: Record<string, unknown>): void { this.log.info(msg, fields); }
  warn(msg: string, fields?: Record<string, unknown>): void { this.log.warn(msg, fields); }
  error(msg: string, fields?: Record<string, unknown>): void { this.log.error(msg, fields); }

  get lines(): LogLine[] {
    return this.capture.lines().map(({ level, msg, fields: { reqId: _reqId, ...fields } }) => ({
      level: level as LogLine['level'],
      msg,
      ...(Object.keys(fields).length > 0 ? { fields } : {}),
    }));
  }

  /** Every line as a log file would hold it. */
  text(): string {
    return this.capture.text();
  }
}

export interface Harness {
  app: FastifyInstance;
  api: FakeTransponderApi;
  streams: FakeStreamApi;
  logger: RecordingLogger;
}

export function makeServer(overrides: Partial<RestServerOptions> = {}): Harness {
  const api = new FakeTransponderApi();
  const streams = new FakeStreamApi();
  const logger = new RecordingLogger();
  const app = createRestServer({ api, streams, logger, httpLogger: logger.httpLogger, auth: { disabled: true }, ...overrides });
  return { app, api, streams, logger };
}

export interface InjectOptions {
  method: string;
  url: string;
  headers?: Record<string, string>;
  payload?: string | Buffer;
}

export interface InjectReply {
  statusCode: number;
  headers: IncomingHttpHeaders;
  body: string;
  /** Parsed body; `any` as with fastify inject, for short assertions. */
  json(): any;
}

/**
 * fastify.inject over real HTTP on loopback. fastify's inject needs light-my-request, whose
 * `cookie` dependency is ESM-only and does not load under jest's CommonJS runtime; a real
 * socket also tests exactly what a client sees (no header is added for us).
 */
export async function inject(app: FastifyInstance, opts: InjectOptions): Promise<InjectReply> {
  if (!app.server.listening) await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as AddressInfo;
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: '127.0.0.1', port, method: opts.method, path: opts.url, headers: opts.headers ?? {}, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const body = Buffer.concat(chunks).toString('utf8');
          resolve({ statusCode: res.statusCode ?? 0, headers: res.headers, body, json: () => JSON.parse(body) });
        });
      },
    );
    // The server may answer (e.g. 400 for a huge body) and close before reading it all.
    req.on('error', reject);
    req.end(opts.payload);
  });
}

/** POSTs a JSON body to /rest-api<path>. */
export function postJson(app: FastifyInstance, path: string, body: unknown, headers: Record<string, string> = {}) {
  return inject(app, {
    method: 'POST',
    url: `/rest-api${path}`,
    headers: { 'content-type': 'application/json', ...headers },
    payload: typeof body === 'string' ? body : JSON.stringify(body),
  });
}
