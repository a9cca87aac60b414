/**
 * nginx as the cluster's entry point, running docker/nginx-cluster.conf (the file the
 * README shows) with its ports mapped to a test's: the file's two node addresses and two
 * listen ports are replaced, nothing else, so the upstream blocks tested are the shipped
 * ones. A port of the file that is not found throws: the file and this helper drifted.
 * Ended (SIGTERM, then SIGKILL after a deadline) by stop().
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './nginx-rtmp';
import { waitFor } from './wait-for';

export const NGINX_CLUSTER_CONF = path.join(__dirname, '..', '..', 'docker', 'nginx-cluster.conf');

/** The ports docker/nginx-cluster.conf names (README: node1 8181/8180, node2 8281/8280). */
const FILE_PORTS = { restEntry: 8081, wsEntry: 8080, rest: [8181, 8281], ws: [8180, 8280] } as const;

export interface ClusterNodePorts {
  httpPort: number;
  wsPort: number;
}

export class NginxCluster {
  restPort = 0;
  wsPort = 0;
  private proc: ChildProcess | undefined;
  private stderr = '';
  private readonly prefix = fs.mkdtempSync(path.join(os.tmpdir(), 'nginx-cluster-'));

  static async start(nodes: readonly [ClusterNodePorts, ClusterNodePorts]): Promise<NginxCluster> {
    const nginx = new NginxCluster();
    try {
      nginx.restPort = await freePort();
      nginx.wsPort = await freePort();
      const ports = new Map<number, number>([
        [FILE_PORTS.restEntry, nginx.restPort],
        [FILE_PORTS.wsEntry, nginx.wsPort],
        [FILE_PORTS.rest[0], nodes[0].httpPort],
        [FILE_PORTS.rest[1], nodes[1].httpPort],
        [FILE_PORTS.ws[0], nodes[0].wsPort],
        [FILE_PORTS.ws[1], nodes[1].wsPort],
      ]);
      fs.mkdirSync(path.join(nginx.prefix, 'logs'));
      fs.writeFileSync(path.join(nginx.prefix, 'nginx.conf'), nginx.header() + mapPorts(fs.readFileSync(NGINX_CLUSTER_CONF, 'utf8'), ports));
      await nginx.run();
      return nginx;
    } catch (error) {
      await nginx.stop();
      throw error;
    }
  }

  /** What a test adds before the file: a foreground nginx whose files stay in its prefix. */
  private header(): string {
    return `daemon off;
master_process off;
worker_processes 1;
pid ${path.join(this.prefix, 'nginx.pid')};
error_log stderr warn;
`;
  }

  private async run(): Promise<void> {
    const proc = spawn('nginx', ['-p', this.prefix, '-c', path.join(this.prefix, 'nginx.conf'), '-e', 'stderr'], { stdio: ['ignore', 'ignore', 'pipe'] });
    this.proc = proc;
    proc.stderr!.on('data', (d: Buffer) => (this.stderr = (this.stderr + d.toString()).slice(-4000)));
    for (const port of [this.restPort, this.wsPort]) {
      await waitFor(async () => {
        if (proc.exitCode !== null) throw new Error(`nginx exited (${proc.exitCode}): ${this.stderr}`);
        return canConnect(port);
      }, { what: `nginx entry on ${port}`, timeoutMs: 10_000, intervalMs: 50 });
    }
  }

  get log(): string {
    return this.stderr;
  }

  async stop(): Promise<void> {
    const proc = this.proc;
    this.proc = undefined;
    if (proc && proc.exitCode === null) {
      const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(timer);
    }
    fs.rmSync(this.prefix, { recursive: true, force: true });
  }
}

/** Replaces each port of the file (as a whole number) by the test's, in one pass; every one must be there. */
export function mapPorts(conf: string, ports: ReadonlyMap<number, number>): string {
  const seen = new Set<number>();
  const out = conf.replace(/(?<![0-9])[0-9]{4,5}(?![0-9])/g, (text) => {
    const to = ports.get(Number(text));
    if (to === undefined) return text;
    seen.add(Number(text));
    return String(to);
  });
  const missing = [...ports.keys()].filter((p) => !seen.has(p));
  if (missing.length > 0) throw new Error(`${NGINX_CLUSTER_CONF} no longer names port(s) ${missing.join(', ')}: update test/helpers/nginx-cluster.ts`);
  return out;
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}
