/**
 * A real redis-server (Debian `redis-server`) on a loopback port, without persistence,
 * so a restart loses everything as a crashed Redis without a disk would: what the
 * cluster must survive. Ended (SIGTERM, then SIGKILL after a deadline) by close().
 */
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { freePort } from './nginx-rtmp';
import { waitFor } from './wait-for';

export class RedisServer {
  port = 0;
  private proc: ChildProcess | undefined;
  private stderr = '';

  static async start(): Promise<RedisServer> {
    const redis = new RedisServer();
    redis.port = await freePort();
    await redis.run();
    return redis;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}/0`;
  }

  private async run(): Promise<void> {
    const proc = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--loglevel', 'warning'], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    this.proc = proc;
    proc.stderr?.on('data', (d: Buffer) => (this.stderr = (this.stderr + d.toString()).slice(-2000)));
    await waitFor(() => proc.exitCode === null && this.accepts(), { what: `redis-server on ${this.port} (${this.stderr})`, timeoutMs: 10_000, intervalMs: 50 });
  }

  private accepts(): Promise<boolean> {
    return new Promise((resolve) => {
      const socket = net.connect(this.port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
  }

  /** Stops it (losing every key) and starts it again on the same port. */
  async restart(): Promise<void> {
    await this.stop();
    await this.run();
  }

  async stop(): Promise<void> {
    const proc = this.proc;
    this.proc = undefined;
    if (!proc || proc.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.kill('SIGTERM');
    const timer = setTimeout(() => proc.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(timer);
  }

  close(): Promise<void> {
    return this.stop();
  }
}
