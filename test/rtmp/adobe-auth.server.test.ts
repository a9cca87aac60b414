/**
 * The authmod=adobe flow against a server that asks for it (FMS/Wowza behaviour; nginx-rtmp
 * has no such mode, so a small scripted RTMP server stands in). The expected response is
 * computed here with openssl, apart from our code.
 */
import { execFileSync } from 'node:child_process';
import { ScriptedRtmpServer } from '../helpers/scripted-rtmp-server';
import { RtmpPublisher } from '../../src/rtmp/rtmp-publisher';

function md5Base64(text: string): string {
  const digest = execFileSync('openssl', ['dgst', '-md5', '-binary'], { input: text });
  return execFileSync('openssl', ['base64', '-A'], { input: digest }).toString().trim();
}

const USER = 'bob';
const PASSWORD = 's3cret pass';
const SALT = 'Sa1t';
const OPAQUE = 'Opq';

/** A scripted RTMP server that answers each connect according to the query in its app (FMS's authmod=adobe). */
class AuthServer extends ScriptedRtmpServer {
  readonly apps: string[] = [];

  constructor() {
    super('publish', (cmd, reply, end) => {
      if (cmd.name !== 'connect') return false;
      const tid = cmd.transactionId;
      const app = (cmd.commandObject as { app: string }).app;
      this.apps.push(app);
      // Raw key=value pairs, as FMS reads them: base64 '+' stays '+'.
      const pairs = (app.includes('?') ? app.slice(app.indexOf('?') + 1) : '').split('&').map((kv) => kv.split('=') as [string, string?]);
      const query = new Map(pairs.map(([k, ...v]) => [k, v.join('=')]));
      const error = (description: string): true => {
        reply({ name: '_error', transactionId: tid, commandObject: null, args: [{ level: 'error', code: 'NetConnection.Connect.Rejected', description }] });
        end();
        return true;
      };
      if (query.get('authmod') !== 'adobe') return error('[ AccessManager.Reject ] : [ code=403 need auth; authmod=adobe ] : ');
      if (!query.get('response')) return error(`[ AccessManager.Reject ] : [ authmod=adobe ] : ?reason=needauth&user=${USER}&salt=${SALT}&challenge=Ch&opaque=${OPAQUE}`);
      const expected = md5Base64(md5Base64(USER + SALT + PASSWORD) + OPAQUE + query.get('challenge'));
      if (query.get('user') !== USER || query.get('response') !== expected) return error('[ AccessManager.Reject ] : [ authmod=adobe ] : ?reason=authfailed&opcode=002');
      return false; // the default answer: NetConnection.Connect.Success
    });
  }
}

/** Publishers a test made, closed after it (before the server) whether it passed or not. */
const publishers: RtmpPublisher[] = [];

function publisher(url: string): RtmpPublisher {
  const p = new RtmpPublisher({
    url,
    naming: { fullUrl: true },
    sendMetadata: false,
    hasVideo: true,
    timeoutMs: 5000,
  });
  publishers.push(p);
  return p;
}

describe('authmod=adobe with a server that asks for it', () => {
  let server: AuthServer;
  beforeEach(async () => {
    server = new AuthServer();
    await server.listen();
  });
  afterEach(async () => {
    for (const p of publishers.splice(0)) await p.close();
    await server.close();
  });

  it('answers the challenge and publishes, in three connections as ffmpeg does', async () => {
    const p = publisher(`rtmp://${USER}:${encodeURIComponent(PASSWORD)}@127.0.0.1:${server.port}/live/key`);
    await p.start();
    expect(p.state).toBe('publishing');
    await p.close();
    expect(server.apps[0]).toBe('live');
    expect(server.apps[1]).toBe(`live?authmod=adobe&user=${USER}`);
    expect(server.apps[2]).toMatch(new RegExp(`^live\\?authmod=adobe&user=${USER}&challenge=[0-9a-f]{8}&response=.+&opaque=${OPAQUE}$`));
    expect(server.apps.join(' ')).not.toContain('s3cret');
  });

  it('a wrong password fails with the server reason and never shows the password', async () => {
    const p = publisher(`rtmp://${USER}:wrong-secret@127.0.0.1:${server.port}/live/key`);
    const failure = p.start().then(() => 'published', (err: Error) => err.message);
    const message = await failure;
    expect(message).toMatch(/authentication refused by the server \(authfailed\)/);
    expect(message).not.toContain('wrong-secret');
  });

  it('without credentials it says the server requires them', async () => {
    const p = publisher(`rtmp://127.0.0.1:${server.port}/live/key`);
    await expect(p.start()).rejects.toThrow(/requires authentication: put user:password@ in the URL/);
  });
});
