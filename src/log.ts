/**
 * The smallest logger every part can take as a constructor argument, so tests can pass a
 * silent or recording one and the service can pass whatever it likes.
 */
export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

/** One line per event: ISO time, level, message, then the fields as JSON. */
export class ConsoleLogger implements Logger {
  constructor(private level: LogLevel = 'info', private readonly prefix = '') {}

  /** Changes the least severe level written (log_level on a settings reload). */
  setLevel(level: LogLevel): void {
    this.level = level;
  }

  debug(msg: string, fields?: Record<string, unknown>): void { this.write('debug', msg, fields); }
  info(msg: string, fields?: Record<string, unknown>): void { this.write('info', msg, fields); }
  warn(msg: string, fields?: Record<string, unknown>): void { this.write('warn', msg, fields); }
  error(msg: string, fields?: Record<string, unknown>): void { this.write('error', msg, fields); }

  /** A logger whose lines start with `prefix` (a session or stream name). */
  child(prefix: string): ConsoleLogger {
    return new ConsoleLogger(this.level, this.prefix ? `${this.prefix} ${prefix}` : prefix);
  }

  private write(level: LogLevel, msg: string, fields?: Record<string, unknown>): void {
    if (ORDER[level] < ORDER[this.level]) return;
    let tail = '';
    if (fields && Object.keys(fields).length > 0) {
      try { tail = ' ' + JSON.stringify(fields); } catch { tail = ' [unserializable fields]'; }
    }
    const line = `${new Date().toISOString()} ${level.toUpperCase()} ${this.prefix ? this.prefix + ' ' : ''}${msg}${tail}`;
    if (level === 'error' || level === 'warn') console.error(line); else console.log(line);
  }
}

/** Discards everything; for tests and for callers that do not care. */
export const silentLogger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
