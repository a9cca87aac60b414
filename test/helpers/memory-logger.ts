/**
 * A Logger that keeps every line in memory, for tests that assert what was logged without
 * pino (the service's pino output is read with log-capture.ts). A child's bindings are
 * merged into its lines' fields, as pino's are.
 */
import type { LogBindings, Logger } from '../../src/log';

export interface MemoryLine {
  level: 'debug' | 'info' | 'warn' | 'error';
  msg: string;
  fields?: Record<string, unknown>;
}

export class MemoryLogger implements Logger {
  constructor(
    readonly lines: MemoryLine[] = [],
    private readonly bindings: LogBindings = {},
  ) {}

  debug(msg: string, fields?: Record<string, unknown>): void { this.push('debug', msg, fields); }
  info(msg: string, fields?: Record<string, unknown>): void { this.push('info', msg, fields); }
  warn(msg: string, fields?: Record<string, unknown>): void { this.push('warn', msg, fields); }
  error(msg: string, fields?: Record<string, unknown>): void { this.push('error', msg, fields); }

  child(bindings: LogBindings): MemoryLogger {
    return new MemoryLogger(this.lines, { ...this.bindings, ...bindings });
  }

  /** Every line as `msg {fields}`, for searching. */
  text(): string {
    return this.lines.map((l) => `${l.msg} ${JSON.stringify(l.fields ?? {})}`).join('\n');
  }

  private push(level: MemoryLine['level'], msg: string, fields?: Record<string, unknown>): void {
    const merged = Object.keys(this.bindings).length > 0 ? { ...this.bindings, ...fields } : fields;
    this.lines.push({ level, msg, fields: merged });
  }
}
