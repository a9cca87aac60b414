/** /health and /ready through the service's life: the answers, and the service's own HTTP while it starts. */
import net from 'node:net';
import { silentLogger } from '../../src/log';
import { TransponderService } from '../../src/server';
import { healthAnswer, HealthAnswerSchema, readyAnswer, ReadyAnswerSchema, SERVICE_STATES, type ServiceState } from '../../src/service-health';
import { loopbackSettings } from '../helpers/loopback-settings';

describe('the probe answers', () => {
  it.each([
    ['starting', 503, 'starting'],
    ['serving', 200, 'ok'],
    ['stopping', 503, 'stopping'],
    ['stopped', 503, 'stopped'],
  ] as const)('/health while %s: %d {status: %s}', (state, statusCode, status) => {
    const answer = healthAnswer(state);
    expect(answer).toEqual({ statusCode, body: { status } });
    HealthAnswerSchema.parse(answer.body);
  });

  it('every state has a /health answer, 200 only while serving', () => {
    expect(SERVICE_STATES.filter((s) => healthAnswer(s).statusCode === 200)).toEqual(['serving']);
  });

  it.each([
    ['serving', 0, 200, undefined],
    ['serving', 49, 200, undefined],
    ['serving', 50, 503, 'STREAM_LIMIT'],
    ['serving', 51, 503, 'STREAM_LIMIT'],
    ['starting', 0, 503, 'STARTING'],
    ['stopping', 0, 503, 'STOPPING'],
    ['stopped', 0, 503, 'STOPPING'],
    ['stopping', 50, 503, 'STOPPING'],
  ] as Array<[ServiceState, number, number, string | undefined]>)('/ready while %s with %d of 50 streams: %d %s', (state, streams, statusCode, reason) => {
    const answer = readyAnswer(state, { streams, maxStreams: 50 });
    expect(answer.statusCode).toBe(statusCode);
    expect(answer.body).toMatchObject({ ready: statusCode === 200, streams, maxStreams: 50 });
    expect(answer.body.reason).toBe(reason);
    if (reason) expect(answer.body.message).toEqual(expect.any(String));
    ReadyAnswerSchema.parse(answer.body);
  });
});

describe('the service while it starts', () => {
  let blocker: net.Server | undefined;
  let service: TransponderService | undefined;

  afterEach(async () => {
    await service?.stop('test over');
    service = undefined;
    await new Promise<void>((r) => (blocker ? blocker.close(() => r()) : r()));
    blocker = undefined;
  });

  it('answers /health 503 "starting" and /ready 503 STARTING until every listener is up (here: ws.port is taken, so it never is)', async () => {
    const settings = await loopbackSettings();
    blocker = net.createServer();
    await new Promise<void>((r) => blocker!.listen(settings.wsPort, '127.0.0.1', r));
    service = new TransponderService(settings, silentLogger);
    await expect(service.start()).rejects.toThrow(/EADDRINUSE/);
    expect(service.state).toBe('starting');
    const health = await fetch(`http://127.0.0.1:${settings.httpPort}/health`);
    expect({ status: health.status, body: await health.json() }).toEqual({ status: 503, body: { status: 'starting' } });
    const ready = await fetch(`http://127.0.0.1:${settings.httpPort}/ready`);
    expect({ status: ready.status, body: await ready.json() }).toMatchObject({ status: 503, body: { ready: false, reason: 'STARTING' } });
    expect(await service.stop('test over')).toEqual({ clean: true, remaining: [] });
    expect(service.state).toBe('stopped');
  });

  it('a stop that comes while starting wins: start rejects and the state stays stopped', async () => {
    const settings = await loopbackSettings();
    service = new TransponderService(settings, silentLogger);
    const starting = service.start();
    const stopped = service.stop('signal while starting');
    await expect(starting).rejects.toThrow(/stopped while starting/);
    await stopped;
    expect(service.state).toBe('stopped');
    // Nothing is left listening: the HTTP listen that was under way was closed after it.
    await expect(fetch(`http://127.0.0.1:${settings.httpPort}/health`)).rejects.toThrow();
  });
});
