/**
 * Our `Logger` seam over pino: `info(msg, fields)` becomes pino's `info(fields, msg)`.
 *
 * The level is one shared threshold for a root logger and every child it made, so a
 * level changed while running (settings reload) reaches the loggers of sessions and
 * pushes that already exist: pino children keep the level they were made with, so ours
 * are made at pino's lowest and the threshold here decides. The root pino (the one
 * fastify gets) follows the threshold too; fastify makes its per-request children from
 * it, so each new request sees the current level.
 */
import type { Logger as Pino } from 'pino';
import type { LogBindings, Logger, LogLevel } from '../log';
import { scrubBindings } from './log-redaction';

const LEVEL_VALUES: Record<LogLevel, number> = { debug: 20, info: 30, warn: 40, error: 50 };

/** What a root logger and all its children share. */
interface LogState {
  threshold: number;
  level: LogLevel;
  /** The root pino, at the threshold's level: for fastify. */
  readonly root: Pino;
}

export class PinoLogger implements Logger {
  private constructor(
    private readonly state: LogState,
    private readonly pino: Pino,
    private readonly bindings: Readonly<LogBindings>,
  ) {}

  /** The seam over a root pino logger (made by createLogger in log.ts). */
  static root(pino: Pino, level: LogLevel): PinoLogger {
    pino.level = level;
    const state: LogState = { threshold: LEVEL_VALUES[level], level, root: pino };
    return new PinoLogger(state, pino.child({}, { level: 'trace' }), {});
  }

  get level(): LogLevel {
    return this.state.level;
  }

  /** The pino logger fastify logs through (its request lines and its own errors). */
  get httpLogger(): Pino {
    return this.state.root;
  }

  /** Changes the level of this logger, its root and every child, at once. */
  update(options: { level: LogLevel }): void {
    this.state.level = options.level;
    this.state.threshold = LEVEL_VALUES[options.level];
    this.state.root.level = options.level;
  }

  debug(msg: string, fields?: Record<string, unknown>): void {
    if (LEVEL_VALUES.debug >= this.state.threshold) this.pino.debug(this.own(fields), msg);
  }

  info(msg: string, fields?: Record<string, unknown>): void {
    if (LEVEL_VALUES.info >= this.state.threshold) this.pino.info(this.own(fields), msg);
  }

  warn(msg: string, fields?: Record<string, unknown>): void {
    if (LEVEL_VALUES.warn >= this.state.threshold) this.pino.warn(this.own(fields), msg);
  }

  error(msg: string, fields?: Record<string, unknown>): void {
    if (LEVEL_VALUES.error >= this.state.threshold) this.pino.error(this.own(fields), msg);
  }

  child(bindings: LogBindings): PinoLogger {
    const fresh: LogBindings = {};
    for (const [k, v] of Object.entries(bindings)) if (v !== undefined && this.bindings[k] !== v) fresh[k] = v;
    if (Object.keys(fresh).length === 0) return this;
    return new PinoLogger(this.state, this.pino.child(scrubBindings(fresh)), { ...this.bindings, ...fresh });
  }

  /**
   * The fields without those this logger already binds to the same value: call sites
   * that still name their `session` or `stream` do not write the key twice.
   */
  private own(fields: Record<string, unknown> | undefined): Record<string, unknown> {
    if (!fields) return {};
    let out: Record<string, unknown> | undefined;
    for (const k of Object.keys(this.bindings)) {
      if (k in fields && fields[k] === this.bindings[k]) {
        out ??= { ...fields };
        delete out[k];
      }
    }
    return out ?? fields;
  }
}
