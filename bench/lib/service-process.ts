/**
 * Our service as the benchmark measures it: `src/main.ts --config <tmp properties>` in a
 * child process on loopback ports, so its CPU and memory are apart from the load.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BenchChild } from './child';
import { freePort } from '../../test/helpers/nginx-rtmp';
import { NODE_FLAGS } from '../../src/node-flags';

/** One publisher's stats as GET /debug/streams gives them (the fields the bench reads). */
export interface DebugStream {
  streamName: string;
  state: string;
  video?: { frames: number; keyframes: number; lost: number; bitrateKbps: number; width?: number; height?: number };
  audio?: { frames: number; lost: number };
}

export class ServiceProcess {
  private constructor(
    readonly child: BenchChild,
    readonly httpPort: number,
    readonly wsPort: number,
    private readonly dir: string,
  ) {}

  get pid(): number {
    return this.child.pid;
  }

  get wsUrl(): string {
    return `ws://127.0.0.1:${this.wsPort}`;
  }

  /**
   * Starts the service with loopback settings plus `properties`; resolves once it listens.
   * `nodeArgs` go to node: by default the production ones (src/node-flags.ts).
   */
  static async start(properties: Record<string, string | number> = {}, nodeArgs: readonly string[] = NODE_FLAGS): Promise<ServiceProcess> {
    const dir = mkdtempSync(join(tmpdir(), 'bench-service-'));
    const httpPort = await freePort();
    const wsPort = await freePort();
    const all: Record<string, string | number> = {
      'http.port': httpPort,
      'ws.port': wsPort,
      bind_address: '127.0.0.1',
      ip: '127.0.0.1',
      ip_local: '127.0.0.1',
      ...properties,
    };
    const file = join(dir, 'bench.properties');
    writeFileSync(file, `# written by the benchmark\n${Object.entries(all).map(([k, v]) => `${k}=${v}`).join('\n')}\n`);
    const child = new BenchChild('service', 'src/main.ts', ['--config', file], [...nodeArgs]);
    const service = new ServiceProcess(child, httpPort, wsPort, dir);
    try {
      await child.waitFor(/rtmp-transponder started/, 30_000);
    } catch (error) {
      await service.stop();
      throw error;
    }
    return service;
  }

  /** Publisher stats from GET /debug/streams; undefined when the service has no such route. */
  async debugStreams(): Promise<DebugStream[] | undefined> {
    const res = await fetch(`http://127.0.0.1:${this.httpPort}/debug/streams`);
    if (res.status === 404) return undefined;
    if (!res.ok) throw new Error(`GET /debug/streams: ${res.status}`);
    return (await res.json()) as DebugStream[];
  }

  async stop(): Promise<void> {
    try {
      await this.child.stop();
    } finally {
      rmSync(this.dir, { recursive: true, force: true });
    }
  }
}
