/**
 * One POST of a JSON body to a hook backend over node:http(s), on keep-alive agents this
 * object owns (a hook per connect and publish should not pay a TCP handshake each time).
 * The answer is read up to a size limit and parsed as JSON. The caller's AbortSignal ends
 * the request (its timeout, a closed session); close() ends every socket.
 */
import http from 'node:http';
import https from 'node:https';

export type HookHttpResult =
  | {
      kind: 'answered';
      status: number;
      /** the reason phrase, e.g. "Forbidden" */
      statusText: string;
      /** the parsed JSON body; undefined when empty or not JSON (then bodyProblem says why) */
      body: unknown;
      bodyProblem?: string;
    }
  | { kind: 'unreachable'; error: string };

const MAX_ANSWER_BYTES = 64 * 1024;

export class HookTransport {
  private readonly httpAgent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  private readonly httpsAgent = new https.Agent({ keepAlive: true, maxSockets: 64 });
  private closed = false;

  post(url: URL, body: Buffer, headers: Record<string, string>, signal: AbortSignal): Promise<HookHttpResult> {
    if (this.closed) return Promise.resolve({ kind: 'unreachable', error: 'hook client closed' });
    const secure = url.protocol === 'https:';
    return new Promise<HookHttpResult>((resolve) => {
      let settled = false;
      const settle = (r: HookHttpResult): void => {
        if (settled) return;
        settled = true;
        resolve(r);
      };
      const req = (secure ? https : http).request(url, {
        method: 'POST',
        agent: secure ? this.httpsAgent : this.httpAgent,
        signal,
        headers: {
          ...headers,
          'content-type': 'application/json;charset=UTF-8',
          accept: 'application/json',
          'content-length': String(body.length),
        },
      });
      req.on('error', (error) => settle({ kind: 'unreachable', error: signal.aborted ? 'aborted' : error.message }));
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_ANSWER_BYTES) {
            settle({ kind: 'answered', status: res.statusCode ?? 0, statusText: res.statusMessage ?? '', body: undefined, bodyProblem: `answer larger than ${MAX_ANSWER_BYTES} bytes` });
            res.destroy();
            return;
          }
          chunks.push(chunk);
        });
        res.on('error', (error) => settle({ kind: 'unreachable', error: signal.aborted ? 'aborted' : error.message }));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const status = res.statusCode ?? 0;
          const statusText = res.statusMessage ?? '';
          if (text.trim() === '') {
            settle({ kind: 'answered', status, statusText, body: undefined, bodyProblem: 'empty answer' });
            return;
          }
          try {
            settle({ kind: 'answered', status, statusText, body: JSON.parse(text) as unknown });
          } catch {
            settle({ kind: 'answered', status, statusText, body: undefined, bodyProblem: 'answer is not JSON' });
          }
        });
      });
      req.end(body);
    });
  }

  /** Ends every socket, idle or busy; later posts answer 'unreachable'. */
  close(): void {
    this.closed = true;
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }
}
