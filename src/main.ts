/**
 * CLI entry: `npm start [-- --config FILE] [--log-level debug|info|warn|error]`.
 * Loads the properties file (refusing to start on a wrong value, named with its
 * line), starts the service, and stops it cleanly on SIGINT/SIGTERM within
 * `shutdown_timeout`. Runs the same under tsx (`npm start`) and compiled
 * (`node dist/src/main.js`, `npm run start:prod`).
 */
import { loadSettings, describeSettings, SettingsError } from './config';
import { ConsoleLogger, type LogLevel, type Logger } from './log';
import { TransponderService } from './server';

interface CliArgs {
  config: string;
  logLevel: LogLevel;
}

const LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];

function parseArgs(argv: string[]): CliArgs {
  const args: CliArgs = { config: 'flashphoner.properties', logLevel: 'info' };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[i + 1];
    if (flag === '--config' && value) {
      args.config = value;
      i++;
    } else if (flag === '--log-level' && value && (LEVELS as string[]).includes(value)) {
      args.logLevel = value as LogLevel;
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
  const log = new ConsoleLogger(args.logLevel);
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
  if (loaded.ignoredKeys.length > 0) log.info('settings not used by rtmp-transponder (ignored)', { keys: loaded.ignoredKeys });
  for (const warning of loaded.warnings) log.warn(warning);
  log.info('settings', { file: loaded.sourceName, ...describeSettings(loaded.settings) });

  const service = new TransponderService(loaded.settings, log, { settingsFile: args.config, onLogLevel: (level) => log.setLevel(level) });
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
