/**
 * The smallest logger every part can take as a constructor argument, so tests can pass a
 * silent or recording one and the service passes the pino one of src/ops/log.ts. Media
 * code knows only this seam, never pino.
 */

/** Fields a child logger adds to every line it writes (`stream`, `mediaSessionId`, `session`). */
export type LogBindings = Record<string, string | number | boolean | undefined>;

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  /** A logger whose every line carries `bindings` too (a per-object logger). */
  child(bindings: LogBindings): Logger;
}

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export function isLogLevel(value: string): value is LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(value);
}

/** Discards everything; for tests and for callers that do not care. */
export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  child() {
    return silentLogger;
  },
};
