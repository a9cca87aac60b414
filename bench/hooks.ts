/**
 * The REST hooks benchmark: what a backend on loopback adds to a page's connect and
 * publish, measured at the WebSocket as a page sees it.
 *
 *   npx tsx bench/hooks.ts [--quick]      (npm run bench -- hooks: in a private network namespace)
 *
 * A WCS-protocol client connects (connection → getUserData) and publishes a synthetic
 * offer (publishStream → setRemoteSDP), then unpublishes; the same with no hooks, with a
 * backend that echoes every call (connect and publishStream awaited; events in the
 * background), and with the md5 signature on. The publish figure includes werift's
 * answer, so the difference between the rows is what the hook adds.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import WebSocket from 'ws';
import { EVERY_APP_KEY, PublishAccess } from '../src/access';
import { silentLogger } from '../src/log';
import { SignalingServer } from '../src/signaling/signaling-server';
import { StreamRegistry } from '../src/streams/stream-registry';
import { defaultPublisherOptions } from '../src/webrtc/publisher-options';
import { syntheticOffer } from '../test/webrtc/synthetic-offer';
import { percentile } from './lib/latency-recorder';
import { renderSection, round, type BenchSection } from './lib/report';

interface Msg { message: string; data: unknown[] }

/** A backend answering every hook at once with its body echoed. */
async function echoBackend(): Promise<{ server: Server; url: string; calls: () => number }> {
  let calls = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      calls++;
      res.writeHead(200, { 'content-type': 'application/json' }).end(Buffer.concat(chunks));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/EchoApp`, calls: () => calls };
}

/** One page: connect, publish, unpublish; the two waits in ms. */
async function onePublish(port: number, name: string): Promise<{ connectMs: number; publishMs: number }> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}`);
  const heard: Msg[] = [];
  let wake: (() => void) | undefined;
  ws.on('message', (d) => {
    heard.push(JSON.parse(String(d)) as Msg);
    wake?.();
  });
  await new Promise<void>((resolve, reject) => ws.once('open', () => resolve()).once('error', reject));
  const until = async (message: string): Promise<void> => {
    const deadline = Date.now() + 10_000;
    while (!heard.some((m) => m.message === message)) {
      if (Date.now() > deadline) throw new Error(`no ${message}; heard ${heard.map((m) => m.message).join()}`);
      await new Promise<void>((r) => { wake = r; setTimeout(r, 100); });
    }
  };
  const send = (message: string, payload: unknown): void => ws.send(JSON.stringify({ message, data: [payload] }));
  const t0 = performance.now();
  send('connection', { appKey: 'defaultApp', clientVersion: '2.0', custom: { user: 'bench' } });
  await until('getUserData');
  const t1 = performance.now();
  send('publishStream', { mediaSessionId: name, name, published: true, hasVideo: true, hasAudio: true, sdp: syntheticOffer() });
  await until('setRemoteSDP');
  const t2 = performance.now();
  send('unPublishStream', { mediaSessionId: name, name });
  await until('notifyStreamStatusEvent');
  ws.close();
  await new Promise<void>((r) => ws.once('close', () => r()));
  return { connectMs: t1 - t0, publishMs: t2 - t1 };
}

export async function runHooksBench(opts: { quick?: boolean } = {}): Promise<BenchSection> {
  const rounds = opts.quick ? 20 : 100;
  const backend = await echoBackend();
  const rows: Array<Record<string, string | number>> = [];
  const cases: Array<{ label: string; hooks: boolean; signing: boolean }> = [
    { label: 'no hooks', hooks: false, signing: false },
    { label: 'hooks (connect + publishStream awaited)', hooks: true, signing: false },
    { label: 'hooks, md5 signature', hooks: true, signing: true },
  ];
  for (const c of cases) {
    const access = new PublishAccess({
      nodeId: 'bench@127.0.0.1',
      hooks: {
        urls: new Map(c.hooks ? [[EVERY_APP_KEY, backend.url]] : []),
        signing: c.signing ? { key: 'bench-secret', algorithm: 'md5' } : undefined,
        timeoutMs: 5000, maxInFlight: 32, eventAttempts: 3,
      },
    }, silentLogger);
    const registry = new StreamRegistry(silentLogger);
    const signaling = new SignalingServer({
      port: 0, host: '127.0.0.1', maxMessageBytes: 64 * 1024, maxStreamsPerSession: 4, maxStreamsTotal: 16,
      keepAliveIntervalMs: 5000, keepAliveTimeoutMs: 15000,
      webrtc: { ...defaultPublisherOptions, ip: '127.0.0.1', ipLocal: '127.0.0.1' }, access,
    }, registry, silentLogger);
    await signaling.listen();
    const connect: number[] = [];
    const publish: number[] = [];
    for (let i = 0; i < rounds + 5; i++) {
      const r = await onePublish(signaling.ports.ws!, `bench${i}`);
      if (i < 5) continue; // warm-up: JIT, keep-alive sockets
      connect.push(r.connectMs);
      publish.push(r.publishMs);
    }
    await signaling.close();
    access.close();
    const fmt = (v: number[]): string => `${round(percentile(v, 50), 2)} / ${round(percentile(v, 99), 2)}`;
    rows.push({ case: c.label, rounds, 'connect ms p50 / p99': fmt(connect), 'publish ms p50 / p99': fmt(publish) });
  }
  await new Promise<void>((r) => backend.server.close(() => r()));
  const base = rows[0]!;
  return {
    title: 'REST hooks: time a loopback backend adds to connect and publish',
    rows,
    notes: [
      `publish = publishStream → setRemoteSDP (werift's answer included); the hook's share is the difference to "${String(base.case)}".`,
      `backend: node:http on 127.0.0.1 echoing each body at once; ${backend.calls()} hook requests in all.`,
    ],
  };
}

if (require.main === module) {
  runHooksBench({ quick: process.argv.includes('--quick') })
    .then((s) => console.log(renderSection(s)))
    .catch((err: Error) => {
      console.error(err);
      process.exit(1);
    });
}
