/**
 * TransponderManager.update (a settings reload) with a scripted RTMP server: new options
 * govern what starts after — losses, startups, auto start — and never disturb a push or
 * an outage under way. Auto start to several destinations keeps their failures apart.
 */
import path from 'node:path';
import { EventEmitter } from 'node:events';
import { ScriptedRtmpServer } from '../helpers/scripted-rtmp-server';
import { freePort } from '../helpers/nginx-rtmp';
import { waitFor, waitForValue } from '../helpers/wait-for';
import { TransponderManager, type StreamDirectory, type TransponderManagerOptions } from '../../src/transponder/transponder-manager';
import { RestorePolicy } from '../../src/transponder/restore-policy';
import type { TransponderInfo } from '../../src/transponder/transponder-api';
import type { TransponderSource } from '../../src/transponder/transponder';
import { silentLogger } from '../../src/log';
import { QuietSource } from '../helpers/quiet-source';

jest.setTimeout(30_000);

/** A stream directory whose `publish` event the test fires (a stream starting to publish). */
class ScriptedDirectory implements StreamDirectory {
  readonly sources = new Map<string, QuietSource>();
  private readonly events = new EventEmitter();
  get(name: string): TransponderSource | undefined {
    return this.sources.get(name);
  }
  on(event: 'publish', listener: (source: TransponderSource, info: { rtmpUrl?: string }) => void): unknown {
    return this.events.on(event, listener);
  }
  publish(name: string): void {
    const source = new QuietSource(name);
    this.sources.set(name, source);
    this.events.emit('publish', source, {});
  }
}

const ENDED = new Set(['TERMINATED', 'FAILED']);
const NO_RESTORE = new RestorePolicy({ enabled: false, attempts: 0, intervalMs: 0 });

function options(overrides: Partial<TransponderManagerOptions> = {}): TransponderManagerOptions {
  return {
    streamNamePrefix: 'rtmp_',
    fullUrl: false,
    sendMetadata: true,
    restore: NO_RESTORE,
    outputBuffer: { enabled: false, startSizeMs: 0, initialSizeMs: 0, pollingTimeMs: 10, maxBufferingsAllowed: -1 },
    mediaDir: path.join(__dirname, '../../media'),
    keepEndedMs: 60_000,
    maxTransponders: 100,
    ...overrides,
  };
}

let server: ScriptedRtmpServer;
let manager: TransponderManager;
let directory: ScriptedDirectory;
/** While true, the server ends every connection at its publish command (a destination refusing). */
let refusePublish = false;

beforeEach(async () => {
  refusePublish = false;
  server = new ScriptedRtmpServer('publish', (cmd, _reply, end) => {
    if (cmd.name !== 'publish' || !refusePublish) return false;
    end();
    return true;
  });
  await server.listen();
  directory = new ScriptedDirectory();
  directory.sources.set('cam1', new QuietSource('cam1'));
});

afterEach(async () => {
  await manager?.close();
  await server.close();
});

function one(id: string): TransponderInfo {
  const t = manager.findAll().find((x) => x.mediaSessionId === id);
  if (!t) throw new Error(`transponder ${id} is gone`);
  return t;
}

async function publishing(id: string): Promise<void> {
  await waitFor(() => one(id).status === 'PUBLISHING', { what: 'PUBLISHING', seen: () => `${one(id).status}: ${one(id).reason}` });
}

describe('TransponderManager.update (settings reload)', () => {
  it('a new restore policy governs losses that begin after it; the outage under way keeps its own', async () => {
    manager = new TransponderManager(directory, options({ restore: new RestorePolicy({ enabled: true, attempts: -1, intervalMs: 30 }) }), silentLogger);
    const { mediaSessionId: id } = await manager.startup({ streamName: 'cam1', rtmpUrl: server.url('live') });
    await publishing(id);

    // An outage: the connection is cut and every reconnect is refused at publish.
    refusePublish = true;
    server.dropAll();
    await waitFor(() => one(id).stats.restoreAttempts >= 1, { what: 'a first restore attempt' });
    manager.update(options({ restore: NO_RESTORE }));
    const attemptsAtReload = one(id).stats.restoreAttempts;
    // The outage goes on under the rule it began with (forever, every 30 ms): it never gives up.
    await waitFor(() => {
      const t = one(id);
      if (t.status !== 'RESTORING') throw new Error(`left RESTORING: ${t.status} (${t.reason})`);
      return t.stats.restoreAttempts >= attemptsAtReload + 3;
    }, { what: 'three more restore attempts after the reload' });

    refusePublish = false;
    await publishing(id);
    expect(one(id).stats.restores).toBe(1);

    // The next loss is the reloaded policy's: restore off, so it ends at once.
    server.dropAll();
    await waitFor(() => ENDED.has(one(id).status), { what: 'ended after the second loss' });
    expect(one(id)).toMatchObject({ status: 'FAILED', stats: { restores: 1 } });
    expect(one(id).reason).not.toMatch(/restore attempt/);
  });

  it('a lower limit refuses new startups and leaves running pushes alone', async () => {
    manager = new TransponderManager(directory, options({ maxTransponders: 5 }), silentLogger);
    const first = await manager.startup({ streamName: 'cam1', rtmpUrl: server.url('live') });
    const second = await manager.startup({ streamName: 'cam1', rtmpUrl: server.url('other') });
    await publishing(first.mediaSessionId);
    await publishing(second.mediaSessionId);
    manager.update(options({ maxTransponders: 2 }));
    await expect(manager.startup({ streamName: 'cam1', rtmpUrl: server.url('third') })).rejects.toMatchObject({ code: 'LIMIT_REACHED' });
    expect(manager.findAll().map((t) => t.status)).toEqual(['PUBLISHING', 'PUBLISHING']);
    expect(server.open).toBe(2);
  });

  it('a new stream name prefix names new pushes only', async () => {
    manager = new TransponderManager(directory, options(), silentLogger);
    const before = await manager.startup({ streamName: 'cam1', rtmpUrl: server.url('live') });
    await publishing(before.mediaSessionId);
    manager.update(options({ streamNamePrefix: 'next_' }));
    const after = await manager.startup({ streamName: 'cam1', rtmpUrl: server.url('other') });
    await publishing(after.mediaSessionId);
    expect([one(before.mediaSessionId).streamName, one(after.mediaSessionId).streamName]).toEqual(['rtmp_cam1', 'next_cam1']);
    expect(server.commands('publish')).toHaveLength(2);
  });
});

describe('auto start to several destinations', () => {
  it('relays a new stream to each URL; a destination that refuses does not stop the others', async () => {
    const refusedPort = await freePort(); // nothing listens there: connection refused
    const second = new ScriptedRtmpServer();
    await second.listen();
    try {
      const urls = [`rtmp://127.0.0.1:${refusedPort}/live`, server.url('live'), second.url('live')];
      manager = new TransponderManager(directory, options({ autoStartUrls: urls }), silentLogger);
      directory.publish('cam2');
      const all = await waitForValue(() => {
        const list = manager.findAll();
        return list.length === 3 && list.every((t) => t.status === 'PUBLISHING' || ENDED.has(t.status)) ? list : undefined;
      }, { what: 'three auto-started transponders settled', seen: () => JSON.stringify(manager.findAll().map((t) => t.status)) });
      const byUrl = new Map(all.map((t) => [t.rtmpUrl, t]));
      expect(urls.map((u) => byUrl.get(u)?.status)).toEqual(['FAILED', 'PUBLISHING', 'PUBLISHING']);
      expect(byUrl.get(urls[0]!)?.reason).toMatch(/cannot connect to the RTMP server/);
      expect([server.commands('publish').length, second.commands('publish').length]).toEqual([1, 1]);
    } finally {
      await manager.close();
      await second.close();
    }
  });

  it('the list is read as each stream starts: a reload changes where the next stream goes', async () => {
    manager = new TransponderManager(directory, options({ autoStartUrls: [server.url('live')] }), silentLogger);
    directory.publish('cam2');
    await waitFor(() => manager.findAll().some((t) => t.status === 'PUBLISHING'), { what: 'cam2 auto-started' });
    manager.update(options({ autoStartUrls: [server.url('other')] }));
    directory.publish('cam3');
    await waitFor(() => manager.findAll().filter((t) => t.status === 'PUBLISHING').length === 2, { what: 'cam3 auto-started' });
    const urls = manager.findAll().map((t) => [t.sourceStreamName, t.rtmpUrl]);
    expect(urls.sort()).toEqual([['cam2', server.url('live')], ['cam3', server.url('other')]]);
  });
});
