/**
 * CLI entry: `npm start [-- --config FILE] [--log-level debug|info|warn|error]`.
 * Loads the properties file (refusing to start on a wrong value, named with its
 * line), starts the service, and stops it cleanly on SIGINT/SIGTERM within
 * `shutdown_timeout`; SIGHUP re-reads the file. Logs go to stdout as log_format and
 * log_level say (src/ops/log.ts); --log-level overrides log_level, also on a reload.
 * Runs the same under tsx (`npm start`) and compiled (`node dist/src/main.js`,
 * `npm run start:prod`).
 */
import { loadSettings, describeSettings, SettingsError } from './config';
import { isLogLevel, type LogLevel, type Logger } from './log';
import { createLogger } from './ops/log';
import { TransponderService } from './server';
import { logOptionsFrom } from './server-options';

interface CliArgs {
  config: string;
  /** Given on the command line: wins over log_level. */
  logLevel?: LogLevel;
}

function parseArgs(argv: string[]): CliArgs {
  const args: CliArgs = { config: 'flashphoner.properties' };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[i + 1];
    if (flag === '--config' && value) {
      args.config = value;
      i++;
    } else if (flag === '--log-level' && value && isLogLevel(value)) {
      args.logLevel = value;
      i++;
    } else if (flag === '--help' || flag === '-h') {
      console.log('usage: npm start -- [--config flashphoner.properties] [--log-level debug|info|warn|error]');
      process.exit(0);
    } else {
      throw new Error(`unknown or incomplete argument "${flag}" (see --help)`);
    }
  }
  return args;
}

async function main(): Promise<void> {
  let args: CliArgs;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (err) {
    console.error(`rtmp-transponder: ${(err as Error).message}`);
    process.exit(2);
  }
  let loaded;
  try {
    loaded = await loadSettings(args.config);
  } catch (err) {
    if (err instanceof SettingsError) {
      console.error(`rtmp-transponder: refusing to start: ${err.message}`);
      process.exit(2);
    }
    throw err;
  }
  // Refusals above are plain text on stderr: they come before the log settings are known.
  const log = createLogger(logOptionsFrom(loaded.settings, args.logLevel));
  if (loaded.ignoredKeys.length > 0) log.info('settings not used by rtmp-transponder (ignored)', { keys: loaded.ignoredKeys });
  for (const warning of loaded.warnings) log.warn(warning);
  log.info('settings', { file: loaded.sourceName, ...describeSettings(loaded.settings) });

  const service = new TransponderService(loaded.settings, log, { settingsFile: args.config, onLogLevel: (level) => log.update({ level: args.logLevel ?? level }) });
  stopOnSignals(service, log);
  // SIGHUP re-reads the settings file; the service logs what changed or why nothing did.
  process.on('SIGHUP', () => {
    service.reloadSettings().catch(() => undefined);
  });
  try {
    await service.start();
  } catch (err) {
    if (service.state !== 'starting') return; // a signal stopped it while starting: that stop exits
    log.error('cannot start', { error: (err as Error).message });
    await service.stop('start failed');
    process.exit(1);
  }
}

/**
 * SIGTERM/SIGINT: the first stops the service (no new sessions, publishes or pushes;
 * pushes end cleanly within shutdown_timeout, then what remains is torn down) and exits
 * 0; a second one exits at once with 1. Other signals (SIGHUP) are handled elsewhere.
 */
function stopOnSignals(service: TransponderService, log: Logger): void {
  let received = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (received) {
      log.warn('second signal: exiting at once', { signal });
      process.exit(1);
    }
    received = true;
    service.stop(signal).then(
      () => process.exit(0),
      (err: Error) => {
        log.error('error while stopping', { error: err.message });
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}

void main();
