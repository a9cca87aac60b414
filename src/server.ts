/**
 * Wires the parts together; nothing else knows all of them. Owns the stream
 * registry, the WebSocket signaling, the transponders and the HTTP server (REST API,
 * pages, health), and stops them in order: signaling (publishers end, so their
 * transponders end), transponders (every ffmpeg awaited), then HTTP.
 */
import type { FastifyInstance } from 'fastify';
import type { AddressInfo } from 'node:net';
import { SettingsError, SettingsReloader, type LogLevelName, type ReloadOutcome, type Settings } from './config';
import type { Logger } from './log';
import { createRestServer, RestAuthenticator } from './rest';
import { SignalingServer } from './signaling/signaling-server';
import { StreamRegistry } from './streams/stream-registry';
import { TransponderManager, type TransponderManagerOptions } from './transponder/transponder-manager';
import { registerSettingsRoutes } from './rest/settings-routes';
import { restAuthFrom, signalingOptionsFrom, transponderManagerOptionsFrom } from './server-options';
import { registerPages } from './web-pages';

export interface ServiceAddresses {
  http: number;
  ws?: number;
  wss?: number;
}

/** Seams for measuring in-process (the relay benchmark), and what the caller owns: the settings file, the logger's level. */
export interface ServiceSeams {
  latencyProbe?: TransponderManagerOptions['latencyProbe'];
  /** The properties file the settings came from: SIGHUP and POST /rest-api/settings/reload re-read it. */
  settingsFile?: string;
  /** Called when a reload changes log_level (the logger belongs to the caller). */
  onLogLevel?: (level: LogLevelName) => void;
}

export class TransponderService {
  readonly registry: StreamRegistry;
  readonly transponders: TransponderManager;
  private readonly signaling: SignalingServer;
  private readonly http: FastifyInstance;
  /** One authenticator for every protected route, so a reload changes them all. */
  private readonly auth: RestAuthenticator;
  private readonly reloader: SettingsReloader | undefined;
  private readonly onLogLevel: ServiceSeams['onLogLevel'];
  /** As last set from the settings (the hook is called on a change only: --log-level stands until the file changes it). */
  private logLevel: LogLevelName;
  private stopping: Promise<void> | undefined;

  constructor(private readonly settings: Settings, private readonly log: Logger, seams: ServiceSeams = {}) {
    this.registry = new StreamRegistry(log);
    this.signaling = new SignalingServer(signalingOptionsFrom(settings), this.registry, log);
    this.transponders = new TransponderManager(this.registry, { ...transponderManagerOptionsFrom(settings), latencyProbe: seams.latencyProbe }, log);
    this.auth = new RestAuthenticator(restAuthFrom(settings));
    this.onLogLevel = seams.onLogLevel;
    this.logLevel = settings.logLevel;
    this.reloader = seams.settingsFile === undefined ? undefined : new SettingsReloader(seams.settingsFile, settings, (next) => this.applySettings(next));
    this.http = createRestServer({
      api: this.transponders,
      auth: this.auth,
      logger: log,
      extraRoutes: (app) => {
        registerPages(app);
        // Publisher stats for benchmarks and operators; behind the REST credentials when they are on.
        app.get('/debug/streams', { onRequest: this.auth.hook }, async () => this.registry.list().map((p) => p.toJSON()));
      },
      extraApiRoutes: (rest) => {
        registerSettingsRoutes(rest, {
          reload: this.reloader === undefined ? undefined : () => this.reloadSettings(),
          problemsOf: (err) => (err instanceof SettingsError ? err.problems : undefined),
        });
      },
    });
  }

  /**
   * Re-reads the settings file (SIGHUP, POST /rest-api/settings/reload) and applies what
   * can change live; logs what was applied, what needs a restart, or why nothing changed.
   * Rejects with a SettingsError when the file cannot be used.
   */
  async reloadSettings(): Promise<ReloadOutcome> {
    if (this.reloader === undefined) throw new Error('this service was started without a settings file');
    let outcome: ReloadOutcome;
    try {
      outcome = await this.reloader.reload();
    } catch (err) {
      const problems = err instanceof SettingsError ? err.problems : [(err as Error).message];
      this.log.error('settings not reloaded: nothing changed', { file: this.reloader.file, problems });
      throw err;
    }
    for (const warning of outcome.warnings) this.log.warn(warning);
    this.log.info('settings reloaded', { file: outcome.file, applied: outcome.applied });
    if (outcome.restartRequired.length > 0) {
      this.log.warn('settings changed in the file need a restart; the running values stay', { restartRequired: outcome.restartRequired });
    }
    return outcome;
  }

  /**
   * Puts new settings in force without touching running pushes: REST credentials for the
   * next request, limits at the next publish, and for what starts after — pushes (URL
   * naming, output buffer, TLS, auto start), losses (restore policy), signaling sessions
   * (keep-alive, bitrates, keyframe requests). Listeners keep the ports and addresses they
   * were opened with. Throws having changed nothing when a part cannot take the values.
   */
  applySettings(next: Settings): void {
    // Everything that can throw comes first (reading the CA file, checking credentials).
    const manager = transponderManagerOptionsFrom(next);
    const signaling = signalingOptionsFrom(next);
    this.auth.update(restAuthFrom(next));
    this.transponders.update(manager);
    this.signaling.update(signaling);
    if (next.logLevel !== this.logLevel) {
      this.logLevel = next.logLevel;
      try {
        this.onLogLevel?.(next.logLevel);
      } catch (err) {
        this.log.warn('log level not changed', { error: (err as Error).message });
      }
    }
  }

  async start(): Promise<ServiceAddresses> {
    await this.signaling.listen();
    await this.http.listen({ port: this.settings.httpPort, host: this.settings.bindAddress });
    const addresses: ServiceAddresses = { http: (this.http.server.address() as AddressInfo).port, ...this.signaling.ports };
    this.log.info('rtmp-transponder started', { ...addresses });
    return addresses;
  }

  /** Ends every publisher and push, then the listeners. Idempotent. */
  stop(reason = 'shutdown'): Promise<void> {
    if (!this.stopping) {
      this.stopping = (async () => {
        this.log.info('stopping', { reason });
        await this.signaling.close();
        await this.transponders.close();
        await this.http.close();
        this.log.info('stopped');
      })();
    }
    return this.stopping;
  }
}
