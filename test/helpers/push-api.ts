/**
 * The /rest-api/push/* of a service under test, and the ffmpeg children of this test
 * process (our AAC encoders and transcoders), for the end-to-end tests.
 */
import { execFileSync } from 'node:child_process';
import type { TransponderJson } from '../../src/rest/schemas';
import { waitForValue } from './wait-for';

export interface Answer<T> {
  status: number;
  body: T;
}

export interface ErrorJson {
  code: string;
  message: string;
  field?: string;
}

/** The /rest-api/push/* of one service. */
export class PushApi {
  constructor(private readonly port: number) {}

  async call<T = unknown>(method: string, body: unknown = {}): Promise<Answer<T>> {
    const res = await fetch(`http://127.0.0.1:${this.port}/rest-api/push/${method}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
  }

  async startup(body: Record<string, unknown>): Promise<TransponderJson> {
    const r = await this.call<TransponderJson | ErrorJson>('startup', body);
    if (r.status !== 200) throw new Error(`startup answered ${r.status}: ${JSON.stringify(r.body)}`);
    return r.body as TransponderJson;
  }

  async findAll(): Promise<TransponderJson[]> {
    const r = await this.call<TransponderJson[]>('find_all');
    return r.status === 200 ? r.body : [];
  }

  async find(id: string): Promise<TransponderJson | undefined> {
    return (await this.findAll()).find((t) => t.mediaSessionId === id);
  }

  async waitForStatus(id: string, status: string, timeoutMs = 20_000): Promise<TransponderJson> {
    return waitForValue(async () => {
      const t = await this.find(id);
      return t?.status === status ? t : undefined;
    }, { what: `transponder ${status}`, timeoutMs, intervalMs: 50 });
  }
}

/** ffmpeg children of this test process, with their command lines. */
export function ourFfmpegs(): Array<{ pid: number; args: string }> {
  const out = execFileSync('ps', ['-o', 'pid=,comm=,args=', '--ppid', String(process.pid)]).toString();
  return out
    .split('\n')
    .map((l) => /^\s*(\d+)\s+(\S+)\s+(.*)$/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null && /ffmpeg/.test(m[2]))
    .map((m) => ({ pid: Number(m[1]), args: m[3] }));
}
