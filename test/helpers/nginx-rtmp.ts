/**
 * A real nginx with the RTMP module (Debian libnginx-mod-rtmp) on loopback, in a
 * prefix directory of its own: records every publish to FLV, reports on_connect,
 * on_publish and on_publish_done (optional) and on_record_done (always) to a hook server
 * the test controls, and optionally puts a TLS front (nginx `stream` + ssl, certificate
 * made here) before it for rtmps://.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

const MODULE_DIRS = ['/usr/lib/nginx/modules', '/usr/share/nginx/modules'];

export interface HookCall {
  call: string;
  params: Record<string, string>;
}

/** Receives nginx-rtmp notify requests; answers 403 for names in `refuse`. */
export class HookServer {
  readonly calls: HookCall[] = [];
  readonly refuse = new Set<string>();
  private server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      const params = Object.fromEntries(new URLSearchParams(body));
      const call = params.call ?? req.url ?? '';
      this.calls.push({ call, params });
      const refused = call === 'publish' && this.refuse.has(params.name ?? '');
      // Connection: close — nginx-rtmp's notify client waits for the end of the response.
      res.writeHead(refused ? 403 : 200, { connection: 'close' }).end();
    });
  });
  port = 0;

  async listen(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as net.AddressInfo).port;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

export async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

function findModule(name: string): string {
  for (const dir of MODULE_DIRS) {
    const file = path.join(dir, name);
    if (fs.existsSync(file)) return file;
  }
  throw new Error(`${name} not found: install nginx and libnginx-mod-rtmp (npm test does)`);
}

export interface NginxRtmpOptions {
  /** Add an rtmps front on its own port. */
  tls?: boolean;
  /** on_connect/on_publish to the hook server (default true); off for benchmarks. */
  hooks?: boolean;
  /** nginx-rtmp's `meta` directive for the applications (its default is `on`). */
  meta?: 'on' | 'copy';
  /** More applications, like `live` (e.g. `live2`, YouTube's application name). */
  extraApps?: string[];
}

export interface TlsMaterial {
  caCert: string;
  cert: string;
  key: string;
}

export class NginxRtmp {
  readonly prefix: string;
  readonly recordDir: string;
  readonly hooks = new HookServer();
  rtmpPort = 0;
  tlsPort = 0;
  tlsMaterial: TlsMaterial | undefined;
  private proc: ChildProcess | undefined;
  private stderr = '';

  private constructor(private readonly opts: NginxRtmpOptions) {
    this.prefix = fs.mkdtempSync(path.join(os.tmpdir(), 'nginx-rtmp-'));
    this.recordDir = path.join(this.prefix, 'rec');
    fs.mkdirSync(path.join(this.recordDir, 'live'), { recursive: true });
    fs.mkdirSync(path.join(this.recordDir, 'other'), { recursive: true });
    for (const app of opts.extraApps ?? []) fs.mkdirSync(path.join(this.recordDir, app), { recursive: true });
    fs.mkdirSync(path.join(this.prefix, 'logs'));
  }

  static async start(opts: NginxRtmpOptions = {}): Promise<NginxRtmp> {
    const nginx = new NginxRtmp(opts);
    await nginx.hooks.listen();
    nginx.rtmpPort = await freePort();
    if (opts.tls) {
      nginx.tlsPort = await freePort();
      nginx.tlsMaterial = makeCertificates(nginx.prefix);
    }
    fs.writeFileSync(path.join(nginx.prefix, 'nginx.conf'), nginx.config());
    await nginx.run();
    return nginx;
  }

  url(app = 'live'): string {
    return `rtmp://127.0.0.1:${this.rtmpPort}/${app}`;
  }

  tlsUrl(app = 'live', host = 'localhost'): string {
    return `rtmps://${host}:${this.tlsPort}/${app}`;
  }

  /** FLV files nginx recorded for a name published in `app` (one per publish, oldest first). */
  recordings(name: string, app: 'live' | 'other' = 'live'): string[] {
    const dir = path.join(this.recordDir, app);
    return fs
      .readdirSync(dir)
      .filter((f) => f.startsWith(`${name}-`) || f === `${name}.flv`)
      .sort()
      .map((f) => path.join(dir, f));
  }

  /**
   * How many recordings of `name` nginx has closed (its on_record_done, sent whatever
   * `hooks` says: it costs nothing while media flows). A file is whole once counted here.
   */
  recordingsDone(name: string, app: 'live' | 'other' = 'live'): number {
    return this.hooks.calls.filter((c) => c.call === 'record_done' && c.params.name === name && c.params.app === app).length;
  }

  /** True once nginx closed this recording (a path from recordings()). */
  recordingDone(file: string): boolean {
    return this.hooks.calls.some((c) => c.call === 'record_done' && c.params.path === file);
  }

  /** Stops the server (as a crash or restart would look to a client). */
  async stopServer(): Promise<void> {
    const proc = this.proc;
    if (!proc || proc.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.kill('SIGCONT');
    proc.kill('SIGTERM');
    const timer = setTimeout(() => proc.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(timer);
    this.proc = undefined;
  }

  /** Whether the server process runs (it may be frozen). */
  get running(): boolean {
    return this.proc !== undefined && this.proc.exitCode === null;
  }

  /** SIGSTOP: the server stops reading, as an overloaded server would. */
  freeze(): void {
    this.proc?.kill('SIGSTOP');
  }

  thaw(): void {
    this.proc?.kill('SIGCONT');
  }

  async restartServer(): Promise<void> {
    await this.stopServer();
    await this.run();
  }

  /** Starts the server again after stopServer(), on the same ports (an outage ends). */
  async startServer(): Promise<void> {
    if (this.proc && this.proc.exitCode === null) throw new Error('nginx is already running');
    await this.run();
  }

  /** Whether a publish of `name` ended at the server (its on_publish_done hook came). */
  publishEnded(name: string): boolean {
    return this.hooks.calls.some((c) => c.call === 'publish_done' && c.params.name === name);
  }

  /** Recordings of `name` that nginx has closed (on_record_done), oldest first: complete files. */
  completeRecordings(name: string): string[] {
    return this.hooks.calls.filter((c) => c.call === 'record_done' && c.params.name === name).map((c) => c.params.path ?? '');
  }

  async stop(): Promise<void> {
    await this.stopServer();
    await this.hooks.close();
    fs.rmSync(this.prefix, { recursive: true, force: true });
  }

  get log(): string {
    return this.stderr;
  }

  private async run(): Promise<void> {
    this.stderr = '';
    const proc = spawn('nginx', ['-p', this.prefix, '-c', path.join(this.prefix, 'nginx.conf'), '-e', 'stderr'], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    this.proc = proc;
    proc.stderr!.on('data', (d: Buffer) => (this.stderr += d.toString()));
    const deadline = Date.now() + 10_000;
    const ports = [this.rtmpPort, ...(this.tlsPort ? [this.tlsPort] : [])];
    for (const port of ports) {
      while (!(await canConnect(port))) {
        if (proc.exitCode !== null) throw new Error(`nginx exited (${proc.exitCode}): ${this.stderr}`);
        if (Date.now() > deadline) throw new Error(`nginx did not listen on ${port}: ${this.stderr}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  }

  private config(): string {
    const hook = `http://127.0.0.1:${this.hooks.port}`;
    const notify = this.opts.hooks === false ? '#' : '';
    const tls = this.opts.tls && this.tlsMaterial
      ? `
load_module ${findModule('ngx_stream_module.so')};`
      : '';
    const stream = this.opts.tls
      ? `
stream {
  server {
    listen 127.0.0.1:${this.tlsPort} ssl;
    ssl_certificate ${path.join(this.prefix, 'server.crt')};
    ssl_certificate_key ${path.join(this.prefix, 'server.key')};
    proxy_pass 127.0.0.1:${this.rtmpPort};
  }
}`
      : '';
    return `load_module ${findModule('ngx_rtmp_module.so')};${tls}
daemon off;
master_process off;
worker_processes 1;
pid ${path.join(this.prefix, 'nginx.pid')};
error_log stderr warn;
events { worker_connections 256; }
rtmp {
  server {
    listen 127.0.0.1:${this.rtmpPort};
    chunk_size 4096;
    ping 30s;
    notify_method post;
    ${notify}on_connect ${hook}/on_connect;
    application live {
      live on;
      record all;
      record_path ${path.join(this.recordDir, 'live')};
      record_unique on;
      meta ${this.opts.meta ?? 'on'};
      ${notify}on_publish ${hook}/on_publish;
      ${notify}on_publish_done ${hook}/on_publish_done;
      on_record_done ${hook}/on_record_done;
    }
    application other {
      live on;
      record all;
      record_path ${path.join(this.recordDir, 'other')};
      record_unique on;
      meta ${this.opts.meta ?? 'on'};
      ${notify}on_publish ${hook}/on_publish;
      ${notify}on_publish_done ${hook}/on_publish_done;
      on_record_done ${hook}/on_record_done;
    }
${(this.opts.extraApps ?? []).map((app) => `    application ${app} {
      live on;
      record all;
      record_path ${path.join(this.recordDir, app)};
      record_unique on;
      meta ${this.opts.meta ?? 'on'};
      ${notify}on_publish ${hook}/on_publish;
      ${notify}on_publish_done ${hook}/on_publish_done;
      on_record_done ${hook}/on_record_done;
    }
`).join('')}  }
}${stream}
`;
  }
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

/** A test CA and a server certificate for localhost / 127.0.0.1, made with openssl. */
function makeCertificates(dir: string): TlsMaterial {
  const run = (args: string[]): void => {
    execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  };
  fs.writeFileSync(path.join(dir, 'san.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n');
  run(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=rtmp-transponder test CA']);
  run(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost']);
  run(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.crt', '-days', '2', '-extfile', 'san.ext']);
  const read = (f: string): string => fs.readFileSync(path.join(dir, f), 'utf8');
  return { caCert: read('ca.crt'), cert: read('server.crt'), key: read('server.key') };
}
