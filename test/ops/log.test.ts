/**
 * The service's logger: JSON or pretty (chosen by log_format and whether stdout is a
 * terminal), the level (and its change while running, which reaches existing children
 * and fastify's new request loggers), child bindings, and the seam's silent logger.
 */
import { Writable } from 'node:stream';
import { isLogLevel, silentLogger } from '../../src/log';
import { chooseFormat, createLogger, httpLoggerOf } from '../../src/ops/log';
import { logOptionsFrom } from '../../src/server-options';
import { defaultSettings } from '../../src/config';
import { TransponderService } from '../../src/server';
import { LogCapture } from '../helpers/log-capture';
import { loopbackSettings } from '../helpers/loopback-settings';
import { waitFor } from '../helpers/wait-for';

describe('format', () => {
  test.each([
    ['auto', true, 'pretty'],
    ['auto', false, 'json'],
    ['json', true, 'json'],
    ['json', false, 'json'],
    ['pretty', true, 'pretty'],
    ['pretty', false, 'pretty'],
  ] as const)('log_format=%s with a terminal=%s writes %s', (format, tty, expected) => {
    expect(chooseFormat(format, tty)).toBe(expected);
  });

  function written(format: 'auto' | 'json' | 'pretty', isTty: boolean): { text: () => string } {
    let text = '';
    const destination = new Writable({ write(chunk: Buffer, _enc, cb) { text += chunk.toString(); cb(); } });
    createLogger({ level: 'info', format }, { destination: destination as never, isTty }).child({ stream: 'cam1' }).info('push ended', { reason: 'terminated', bytes: 1234 });
    return { text: () => text };
  }

  test('json: one JSON object a line, with level name, ISO time, bindings and fields', () => {
    const out = written('json', false);
    const lines = out.text().trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0])).toEqual({
      level: 'info',
      time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      pid: process.pid,
      hostname: expect.any(String),
      stream: 'cam1',
      reason: 'terminated',
      bytes: 1234,
      msg: 'push ended',
    });
  });

  test.each([['pretty', false], ['auto', true]] as const)('%s (terminal=%s): one readable line, not JSON', async (format, tty) => {
    const out = written(format, tty);
    await waitFor(() => out.text().includes('\n'), { what: 'the pretty line' });
    const line = out.text().trim();
    expect(line.split('\n')).toHaveLength(1);
    expect(() => JSON.parse(line)).toThrow();
    expect(line).toMatch(/INFO.*push ended/);
    expect(line).toContain('cam1');
    expect(line).toContain('1234');
  });

  test('the settings give the level and format, and --log-level wins over log_level', () => {
    const s = { ...defaultSettings(), logLevel: 'warn' as const, logFormat: 'json' as const };
    expect(logOptionsFrom(s)).toEqual({ level: 'warn', format: 'json' });
    expect(logOptionsFrom(s, 'debug')).toEqual({ level: 'debug', format: 'json' });
    expect(logOptionsFrom(defaultSettings())).toEqual({ level: 'info', format: 'auto' });
  });
});

describe('level', () => {
  test('lines below the level are not written', () => {
    const capture = new LogCapture();
    const log = capture.logger('warn');
    log.debug('d');
    log.info('i');
    log.warn('w');
    log.error('e');
    expect(capture.lines().map((l) => [l.level, l.msg])).toEqual([['warn', 'w'], ['error', 'e']]);
  });

  test('a change while running reaches children made before it, both ways', () => {
    const capture = new LogCapture();
    const root = capture.logger('info');
    const child = root.child({ session: 's1' });
    const grandchild = child.child({ stream: 'cam1' });
    grandchild.debug('hidden');
    root.update({ level: 'debug' });
    grandchild.debug('shown');
    child.update({ level: 'error' });
    root.warn('hidden too');
    grandchild.error('still shown');
    expect(capture.lines().map((l) => l.msg)).toEqual(['shown', 'still shown']);
    expect(root.level).toBe('error');
  });

  test('fastify\'s logger follows the level (its request loggers are made from it per request)', () => {
    const capture = new LogCapture();
    const root = capture.logger('warn');
    const http = httpLoggerOf(root)!;
    http.child({ reqId: 'r1' }).info('before');
    root.update({ level: 'info' });
    http.child({ reqId: 'r2' }).info('after');
    expect(capture.lines().map((l) => [l.msg, l.fields.reqId])).toEqual([['after', 'r2']]);
  });

  test('only our loggers have a fastify logger', () => {
    expect(httpLoggerOf(silentLogger)).toBeUndefined();
  });

  test('the level names', () => {
    expect(['debug', 'info', 'warn', 'error'].every(isLogLevel)).toBe(true);
    expect(isLogLevel('trace')).toBe(false);
    expect(isLogLevel('INFO')).toBe(false);
  });
});

describe('child bindings', () => {
  test('each line of a child carries its bindings and its parents\'', () => {
    const capture = new LogCapture();
    const session = capture.logger().child({ session: 's1' });
    session.child({ mediaSessionId: 'm1', stream: 'cam1' }).info('publisher ended', { reason: 'gone' });
    session.info('session ended');
    expect(capture.lines()).toEqual([
      { level: 'info', msg: 'publisher ended', fields: { session: 's1', mediaSessionId: 'm1', stream: 'cam1', reason: 'gone' } },
      { level: 'info', msg: 'session ended', fields: { session: 's1' } },
    ]);
  });

  test('a field equal to a binding is written once; undefined bindings are left out', () => {
    const capture = new LogCapture();
    const log = capture.logger().child({ session: 's1', stream: undefined });
    log.info('x', { session: 's1', other: 1 });
    const raw = capture.text();
    expect(raw.match(/"session"/g)).toHaveLength(1);
    expect(raw).not.toContain('"stream"');
    expect(capture.lines()[0].fields).toEqual({ session: 's1', other: 1 });
  });

  test('the parent does not carry its child\'s bindings', () => {
    const capture = new LogCapture();
    const root = capture.logger();
    root.child({ stream: 'cam1' });
    root.info('x');
    expect(capture.lines()[0].fields).toEqual({});
  });

  test('the silent logger\'s children are silent', () => {
    const child = silentLogger.child({ stream: 'cam1' });
    expect(child).toBe(silentLogger);
    expect(() => child.info('x', { a: 1 })).not.toThrow();
  });
});

describe('the service\'s start', () => {
  let service: TransponderService | undefined;

  afterEach(async () => {
    await service?.stop();
    service = undefined;
  });

  test('says it listens in one line of its own, without fastify\'s "Server listening at"; requests are still logged', async () => {
    const capture = new LogCapture();
    service = new TransponderService(await loopbackSettings(), capture.logger('info'));
    const { http } = await service.start();
    const res = await fetch(`http://127.0.0.1:${http}/rest-api/push/find_all`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    await res.arrayBuffer();
    const lines = capture.lines();
    expect(lines.filter((l) => /server listening/i.test(l.msg))).toEqual([]);
    expect(capture.text()).not.toContain('fastify listening');
    expect(lines.filter((l) => l.msg === 'rtmp-transponder started').map((l) => l.fields.http)).toEqual([http]);
    expect(lines.filter((l) => l.msg === 'http').map((l) => [l.fields.method, l.fields.path, l.fields.status])).toEqual([['POST', '/rest-api/push/find_all', res.status]]);
  });
});
