/**
 * TransponderManager with a scripted stream directory and a scripted RTMP server: races
 * of parallel startups, the transponder limit, honest states after terminate.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ScriptedRtmpServer } from '../helpers/scripted-rtmp-server';
import { waitFor } from '../helpers/wait-for';
import { TransponderManager, type StreamDirectory } from '../../src/transponder/transponder-manager';
import { RestorePolicy } from '../../src/transponder/restore-policy';
import { TransponderError, type TransponderErrorCode } from '../../src/transponder/transponder-api';
import { silentLogger } from '../../src/log';
import { QuietSource } from '../helpers/quiet-source';

jest.setTimeout(30_000);

let server: ScriptedRtmpServer;
let manager: TransponderManager;
let lookups = 0;
const sources = new Map<string, QuietSource>([['cam1', new QuietSource('cam1')]]);
const directory: StreamDirectory = { get: (name) => sources.get(name), on: () => undefined };

function makeManager(maxTransponders: number): TransponderManager {
  return new TransponderManager(
    directory,
    {
      streamNamePrefix: 'rtmp_',
      fullUrl: false,
      sendMetadata: true,
      restore: new RestorePolicy({ enabled: false, attempts: 0, intervalMs: 0 }),
      outputBuffer: { enabled: false, startSizeMs: 0, initialSizeMs: 0, pollingTimeMs: 10, maxBufferingsAllowed: -1 },
      mediaDir: path.join(__dirname, '../../media'),
      keepEndedMs: 60_000,
      maxTransponders,
      // A destination check that takes a while: the await every startup makes before
      // creating (counted there: each connect checks again, with its attempt's signal).
      resolve: async (_dest, signal) => {
        if (signal === undefined) lookups++;
        await new Promise((r) => setTimeout(r, 20));
        return '127.0.0.1';
      },
    },
    silentLogger,
  );
}

/** The code of each settled startup: 'ok' or the TransponderError code. */
async function outcomes(promises: Array<Promise<unknown>>): Promise<Array<'ok' | TransponderErrorCode>> {
  const settled = await Promise.allSettled(promises);
  return settled.map((s) => (s.status === 'fulfilled' ? 'ok' : s.reason instanceof TransponderError ? s.reason.code : String(s.reason) as TransponderErrorCode));
}

/** ffmpeg AAC encoders that are children of this process, read from /proc. */
function aacEncoderChildren(): number {
  let n = 0;
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === process.pid && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('adts')) n++;
    } catch {
      // gone meanwhile
    }
  }
  return n;
}

function count<T>(list: T[], value: T): number {
  return list.filter((x) => x === value).length;
}

beforeEach(async () => {
  server = new ScriptedRtmpServer('publish');
  await server.listen();
  lookups = 0;
});

afterEach(async () => {
  await manager?.close();
  await server.close();
});

describe('TransponderManager', () => {
  it('20 parallel startups of one stream to one URL: exactly one is created, the rest 409', async () => {
    manager = makeManager(100);
    const url = `rtmp://localhost:${server.port}/live`;
    const results = await outcomes(Array.from({ length: 20 }, () => manager.startup({ streamName: 'cam1', rtmpUrl: url })));
    expect(count(results, 'ok')).toBe(1);
    expect(count(results, 'TRANSPONDER_EXISTS')).toBe(19);
    expect(manager.findAll()).toHaveLength(1);
  });

  it('with a limit of 3, 20 parallel startups to different URLs create 3 and refuse 17', async () => {
    manager = makeManager(3);
    const results = await outcomes(
      Array.from({ length: 20 }, (_, i) => manager.startup({ streamName: 'cam1', rtmpUrl: `rtmp://localhost:${server.port}/live${i}` })),
    );
    expect(count(results, 'ok')).toBe(3);
    expect(count(results, 'LIMIT_REACHED')).toBe(17);
    expect(manager.findAll().filter((t) => t.status !== 'TERMINATED' && t.status !== 'FAILED')).toHaveLength(3);
    expect(lookups).toBe(3); // refused before their first await
  });

  it('startups while the service stops are refused SERVICE_STOPPING (503), also one that was waiting on its destination check', async () => {
    manager = makeManager(100);
    const url = `rtmp://localhost:${server.port}/live`;
    const waiting = manager.startup({ streamName: 'cam1', rtmpUrl: url });
    const closing = manager.close();
    const after = manager.startup({ streamName: 'cam1', rtmpUrl: `${url}2` });
    expect(await outcomes([waiting, after])).toEqual(['SERVICE_STOPPING', 'SERVICE_STOPPING']);
    await closing;
    expect(manager.findAll()).toEqual([]);
  });

  it('a startup that fails after its reservation gives the key back', async () => {
    manager = makeManager(100);
    const url = `rtmp://localhost:${server.port}/live`;
    const first = manager.startup({ streamName: 'cam1', rtmpUrl: url, options: { action: 'sound_on', soundFile: 'no-such.wav', loop: false } });
    const second = manager.startup({ streamName: 'cam1', rtmpUrl: url });
    expect(await outcomes([first, second])).toEqual(['SOUND_FILE_NOT_FOUND', 'TRANSPONDER_EXISTS']);
    expect(await outcomes([manager.startup({ streamName: 'cam1', rtmpUrl: url })])).toEqual(['ok']);
  });

  it('terminate: find says TERMINATED when it returns; changes then answer TRANSPONDER_ENDED; terminating again is fine', async () => {
    manager = makeManager(100);
    const { mediaSessionId } = await manager.startup({ streamName: 'cam1', rtmpUrl: `rtmp://127.0.0.1:${server.port}/live` });
    await waitFor(() => manager.find({ streamName: 'cam1' })[0].status === 'PUBLISHING', { what: 'publishing' });
    await manager.terminate(mediaSessionId);
    expect(manager.find({ streamName: 'cam1' })[0]).toMatchObject({ status: 'TERMINATED', reason: 'terminated through the REST API' });
    expect(() => manager.mute(mediaSessionId)).toThrow(expect.objectContaining({ code: 'TRANSPONDER_ENDED' }));
    await expect(manager.soundOn(mediaSessionId, 'beep.wav', false)).rejects.toMatchObject({ code: 'TRANSPONDER_ENDED' });
    await expect(manager.terminate(mediaSessionId)).resolves.toBeUndefined();
    expect(() => manager.unmute('no-such-id')).toThrow(expect.objectContaining({ code: 'TRANSPONDER_NOT_FOUND' }));
  });

  it('terminate of a FAILED transponder answers and keeps it FAILED with its reason', async () => {
    manager = makeManager(100);
    const port = server.port;
    await server.close();
    const { mediaSessionId } = await manager.startup({ streamName: 'cam1', rtmpUrl: `rtmp://127.0.0.1:${port}/live` });
    await waitFor(() => manager.findAll()[0].status === 'FAILED', { what: 'failed' });
    await manager.terminate(mediaSessionId);
    // The failure class only: whether the port was closed, silent or not RTMP is for the log.
    expect(manager.findAll()[0]).toMatchObject({ status: 'FAILED', reason: 'cannot connect to the RTMP server' });
    server = new ScriptedRtmpServer();
    await server.listen();
  });

  it('transponders of one stream share one AAC encoder; one started muted has its own; close ends them all', async () => {
    manager = makeManager(100);
    const url = (i: number): string => `rtmp://localhost:${server.port}/live${i}`;
    await Promise.all([0, 1, 2].map((i) => manager.startup({ streamName: 'cam1', rtmpUrl: url(i) })));
    await waitFor(() => aacEncoderChildren() === 1, { what: 'one encoder', seen: () => String(aacEncoderChildren()) });
    await manager.startup({ streamName: 'cam1', rtmpUrl: url(3), options: { action: 'mute' } });
    expect(manager.find({ rtmpUrl: url(3) })[0].muted).toBe(true);
    await waitFor(() => aacEncoderChildren() === 2, { what: 'a second encoder', seen: () => String(aacEncoderChildren()) });
    await manager.close();
    expect(aacEncoderChildren()).toBe(0);
  });
});
