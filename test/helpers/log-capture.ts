/**
 * The service's real logger (pino, redaction and all) writing JSON lines into memory, so
 * a test sees exactly the text a log file would hold and can parse each line.
 */
import type { DestinationStream } from 'pino';
import type { LogLevel } from '../../src/log';
import { createLogger, type PinoLogger } from '../../src/ops/log';

/** One parsed line: pino's level label, msg, and every other field (bindings included). */
export interface CapturedLine {
  level: string;
  msg: string;
  fields: Record<string, unknown>;
}

export class LogCapture implements DestinationStream {
  private readonly chunks: string[] = [];

  write(chunk: string): void {
    this.chunks.push(chunk);
  }

  /** Everything written, as written. */
  text(): string {
    return this.chunks.join('');
  }

  lines(): CapturedLine[] {
    return this.text()
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => {
        const { level, msg, time: _time, pid: _pid, hostname: _hostname, ...fields } = JSON.parse(l) as Record<string, unknown>;
        return { level: String(level), msg: String(msg), fields };
      });
  }

  /** Lines whose msg is `msg`. */
  withMsg(msg: string): CapturedLine[] {
    return this.lines().filter((l) => l.msg === msg);
  }

  clear(): void {
    this.chunks.length = 0;
  }

  /** A JSON logger writing here. */
  logger(level: LogLevel = 'debug'): PinoLogger {
    return createLogger({ level, format: 'json' }, { destination: this, isTty: false });
  }
}
