/**
 * A TransponderManager behind a DestinationGuard whose DNS the test writes (`zone`), with
 * one quiet published stream "cam1" (no frames: the RTMP side is what is tested).
 */
import path from 'node:path';
import { DestinationGuard, type DestinationRules } from '../../src/access';
import { TransponderManager, type StreamDirectory } from '../../src/transponder/transponder-manager';
import { RestorePolicy } from '../../src/transponder/restore-policy';
import type { Logger } from '../../src/log';
import { MemoryLogger } from '../helpers/memory-logger';
import { QuietSource } from '../helpers/quiet-source';

export interface GuardedManager {
  manager: TransponderManager;
  guard: DestinationGuard;
  /** host → addresses, or a function of how many times the host was asked (1, 2, …). */
  zone: Map<string, string[] | ((nth: number) => string[])>;
  /** Every host the guard looked up, in order. */
  lookups: string[];
}

export function guardedManager(opts: { log: Logger; rules?: Partial<DestinationRules>; ownPorts?: number[]; restoreAttempts?: number }): GuardedManager {
  const zone: GuardedManager['zone'] = new Map();
  const lookups: string[] = [];
  const guard = new DestinationGuard({
    allowedNetworks: [],
    deniedNetworks: [],
    allowedPorts: [],
    allowedHosts: [],
    ...opts.rules,
    ownPorts: () => opts.ownPorts ?? [],
    lookup: async (host) => {
      lookups.push(host);
      const entry = zone.get(host);
      if (!entry) throw new Error(`getaddrinfo ENOTFOUND ${host}`);
      return typeof entry === 'function' ? entry(lookups.filter((h) => h === host).length) : entry;
    },
  });
  const source = new QuietSource('cam1', { audio: true, video: false });
  const directory: StreamDirectory = { get: (name) => (name === 'cam1' ? source : undefined), on: () => undefined };
  const attempts = opts.restoreAttempts ?? 0;
  const manager = new TransponderManager(
    directory,
    {
      streamNamePrefix: 'rtmp_',
      fullUrl: true,
      sendMetadata: false,
      restore: new RestorePolicy({ enabled: attempts !== 0, attempts, intervalMs: 20 }),
      outputBuffer: { enabled: false, startSizeMs: 0, initialSizeMs: 0, pollingTimeMs: 10, maxBufferingsAllowed: -1 },
      mediaDir: path.join(__dirname, '../../media'),
      keepEndedMs: 60_000,
      maxTransponders: 10,
      resolve: guard.resolver,
    },
    opts.log,
  );
  return { manager, guard, zone, lookups };
}

/** A logger that keeps every line, to check what reaches the log (and what does not). */
export { MemoryLogger as RecordingLogger };
