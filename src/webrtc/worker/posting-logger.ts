import type { MessagePort } from 'node:worker_threads';
import type { LogBindings, Logger, LogLevel } from '../../log';
import type { FromWorker } from './messages';

/**
 * The Logger of code running in a media worker: every line is posted to the main thread,
 * which writes it through the service's Logger (one place redacts and formats). Lines are
 * rare (state changes, ends), never per packet.
 */
export class PostingLogger implements Logger {
  constructor(
    private readonly port: Pick<MessagePort, 'postMessage'>,
    /** the publisher whose logger writes these lines in the main thread; absent: the pool's */
    private readonly id?: number,
    private readonly bindings: LogBindings = {},
  ) {}

  debug(msg: string, fields?: Record<string, unknown>): void { this.post('debug', msg, fields); }
  info(msg: string, fields?: Record<string, unknown>): void { this.post('info', msg, fields); }
  warn(msg: string, fields?: Record<string, unknown>): void { this.post('warn', msg, fields); }
  error(msg: string, fields?: Record<string, unknown>): void { this.post('error', msg, fields); }

  child(bindings: LogBindings): Logger {
    return new PostingLogger(this.port, this.id, { ...this.bindings, ...bindings });
  }

  private post(level: LogLevel, msg: string, fields?: Record<string, unknown>): void {
    const message: FromWorker = { type: 'log', id: this.id, level, msg, fields, bindings: this.bindings };
    try {
      this.port.postMessage(message);
    } catch {
      // a field that cannot be cloned (a function, a socket): send what JSON keeps of it
      const plain = fields === undefined ? undefined : (JSON.parse(JSON.stringify(fields, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v))) as Record<string, unknown>);
      this.port.postMessage({ ...message, fields: plain });
    }
  }
}
