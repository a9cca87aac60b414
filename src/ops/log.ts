/**
 * The service's logger: pino, one JSON object a line (what a log collector reads), or
 * pino-pretty's one readable line an event for a person at a terminal. Either way the
 * same redaction runs first (log-redaction.ts): secret fields by name through pino's
 * `redact`, RTMP URLs and the line's secret values in any text through a pino hook.
 *
 *   log_format=auto   pretty when stdout is a terminal, JSON otherwise (the default)
 *   log_format=json | pretty
 *   log_level=debug | info | warn | error   (the CLI's --log-level wins)
 */
import pino, { type DestinationStream, type Logger as Pino, type LoggerOptions } from 'pino';
import type { Logger, LogLevel } from '../log';
import { censor, redactPaths, scrubLogArguments } from './log-redaction';
import { PinoLogger } from './pino-logger';

export const LOG_FORMATS = ['auto', 'json', 'pretty'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

export interface LogOptions {
  level: LogLevel;
  format: LogFormat;
}

/** Where lines go; tests give a destination of their own. */
export interface LogOutput {
  /** default: stdout */
  destination?: DestinationStream;
  /** Whether the destination is a terminal (decides `auto`, and colours); default: stdout's. */
  isTty?: boolean;
}

/** The format `auto` stands for, given whether output goes to a terminal. */
export function chooseFormat(format: LogFormat, isTty: boolean): 'json' | 'pretty' {
  if (format === 'auto') return isTty ? 'pretty' : 'json';
  return format;
}

interface RequestLike {
  method?: string;
  url?: string;
}

/** fastify's request as a log field: method and path, never the query, headers or body. */
function requestFields(req: RequestLike): Record<string, unknown> {
  const url = typeof req.url === 'string' ? req.url : '';
  const q = url.indexOf('?');
  return { method: req.method, path: q < 0 ? url : url.slice(0, q) };
}

function replyFields(reply: { statusCode?: number }): Record<string, unknown> {
  return { status: reply.statusCode };
}

/**
 * What fastify is told to say once it listens (`listen({ listenTextResolver })`): a text
 * the logger drops. fastify 5 always logs "Server listening at <address>" at info and has
 * no option to turn it off; the service's own "rtmp-transponder started" line gives every
 * port (HTTP and WebSocket) once, so fastify's would be a second, partial one.
 */
export const UNSAID_LISTENING_TEXT = '\u0000fastify listening (not logged)';

/** For fastify's `listenTextResolver`: fastify's listening line, which the logger drops. */
export function unsaidListeningText(): string {
  return UNSAID_LISTENING_TEXT;
}

/** pino's options: the redaction, ISO times, level names, and the serializers fastify's lines use. */
export function pinoOptions(level: LogLevel): LoggerOptions {
  return {
    level,
    redact: { paths: redactPaths(), censor },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: {
      level: (label) => ({ level: label }),
    },
    hooks: {
      // Every call goes through here: no call site can forget to hide a URL in its text.
      logMethod(args, method) {
        if (args.length === 1 && args[0] === UNSAID_LISTENING_TEXT) return;
        const scrubbed = scrubLogArguments(args) as Parameters<typeof method>;
        method.apply(this, scrubbed);
      },
    },
    serializers: { req: requestFields, res: replyFields, err: pino.stdSerializers.err },
  };
}

/**
 * The root logger of the service. Its `update({ level })` changes the level of every
 * logger made from it while running; the format is chosen once (a restart changes it).
 */
export function createLogger(options: LogOptions, output: LogOutput = {}): PinoLogger {
  const isTty = output.isTty ?? process.stdout.isTTY === true;
  const format = chooseFormat(options.format, isTty);
  let destination: DestinationStream;
  if (format === 'pretty') {
    // In-process and synchronous: no worker thread, and no line lost at process.exit.
    // Loaded only here: a JSON service (log_format=json, or auto off a terminal) never needs its 40 modules.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const pretty = require('pino-pretty') as typeof import('pino-pretty');
    destination = pretty({
      destination: output.destination ?? 1,
      sync: true,
      colorize: isTty,
      singleLine: true,
      translateTime: 'SYS:yyyy-mm-dd HH:MM:ss.l',
      ignore: 'pid,hostname',
    });
  } else {
    // Synchronous writes: the service logs events, not packets, and a crash loses no line.
    destination = output.destination ?? pino.destination({ dest: 1, sync: true });
  }
  return PinoLogger.root(pino(pinoOptions(options.level), destination), options.level);
}

/** The pino logger fastify should log through, when `log` is one of ours (else none). */
export function httpLoggerOf(log: Logger): Pino | undefined {
  return log instanceof PinoLogger ? log.httpLogger : undefined;
}

export { PinoLogger };
