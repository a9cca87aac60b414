/**
 * The authmod=adobe flow against a server that asks for it (FMS/Wowza behaviour; nginx-rtmp
 * has no such mode, so a small scripted RTMP server stands in). The expected response is
 * computed here with openssl, apart from our code.
 */
import { execFileSync } from 'node:child_process';
import net from 'node:net';
import { ChunkDecoder } from '../../src/rtmp/chunk-decoder';
import { ChunkEncoder } from '../../src/rtmp/chunk-encoder';
import { commandMessage, decodeCommand, type RtmpCommand } from '../../src/rtmp/command-messages';
import { MessageType } from '../../src/rtmp/message-types';
import { RtmpPublisher } from '../../src/rtmp/rtmp-publisher';

function md5Base64(text: string): string {
  const digest = execFileSync('openssl', ['dgst', '-md5', '-binary'], { input: text });
  return execFileSync('openssl', ['base64', '-A'], { input: digest }).toString().trim();
}

const USER = 'bob';
const PASSWORD = 's3cret pass';
const SALT = 'Sa1t';
const OPAQUE = 'Opq';

/** A scripted RTMP server: answers each connect according to the query in its app. */
class AuthServer {
  readonly apps: string[] = [];
  private readonly server = net.createServer((socket) => this.serve(socket));
  port = 0;

  async listen(): Promise<void> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.port = (this.server.address() as net.AddressInfo).port;
  }

  close(): Promise<void> {
    return new Promise((r) => this.server.close(() => r()));
  }

  private serve(socket: net.Socket): void {
    let pending = Buffer.alloc(0);
    let stage: 'c0c1' | 'c2' | 'chunks' = 'c0c1';
    const decoder = new ChunkDecoder();
    const encoder = new ChunkEncoder();
    const reply = (cmd: RtmpCommand, streamId = 0): void => {
      socket.write(encoder.encode(commandMessage(cmd, { chunkStreamId: 3, messageStreamId: streamId })));
    };
    socket.on('error', () => undefined);
    socket.on('data', (data: Buffer) => {
      pending = Buffer.concat([pending, data]);
      if (stage === 'c0c1' && pending.length >= 1537) {
        const c1 = pending.subarray(1, 1537);
        socket.write(Buffer.concat([Buffer.from([3]), Buffer.alloc(1536, 7), c1]));
        pending = pending.subarray(1537);
        stage = 'c2';
      }
      if (stage === 'c2' && pending.length >= 1536) {
        pending = pending.subarray(1536);
        stage = 'chunks';
      }
      if (stage !== 'chunks' || pending.length === 0) return;
      const messages = decoder.push(pending);
      pending = Buffer.alloc(0);
      for (const msg of messages) {
        if (msg.typeId !== MessageType.CommandAmf0) continue;
        const cmd = decodeCommand(msg.payload);
        const tid = cmd.transactionId;
        if (cmd.name === 'connect') {
          const app = (cmd.commandObject as { app: string }).app;
          this.apps.push(app);
          // Raw key=value pairs, as FMS reads them: base64 '+' stays '+'.
          const pairs = (app.includes('?') ? app.slice(app.indexOf('?') + 1) : '').split('&').map((kv) => kv.split('=') as [string, string?]);
          const query = new Map(pairs.map(([k, ...v]) => [k, v.join('=')]));
          const error = (description: string): void => {
            reply({ name: '_error', transactionId: tid, commandObject: null, args: [{ level: 'error', code: 'NetConnection.Connect.Rejected', description }] });
            socket.end();
          };
          if (query.get('authmod') !== 'adobe') return error('[ AccessManager.Reject ] : [ code=403 need auth; authmod=adobe ] : ');
          if (!query.get('response')) return error(`[ AccessManager.Reject ] : [ authmod=adobe ] : ?reason=needauth&user=${USER}&salt=${SALT}&challenge=Ch&opaque=${OPAQUE}`);
          const expected = md5Base64(md5Base64(USER + SALT + PASSWORD) + OPAQUE + query.get('challenge'));
          if (query.get('user') !== USER || query.get('response') !== expected) return error('[ AccessManager.Reject ] : [ authmod=adobe ] : ?reason=authfailed&opcode=002');
          reply({ name: '_result', transactionId: tid, commandObject: { fmsVer: 'FMS/3,5,7,7009' }, args: [{ level: 'status', code: 'NetConnection.Connect.Success' }] });
        } else if (cmd.name === 'createStream') {
          reply({ name: '_result', transactionId: tid, commandObject: null, args: [1] });
        } else if (cmd.name === 'publish') {
          reply({ name: 'onStatus', transactionId: 0, commandObject: null, args: [{ level: 'status', code: 'NetStream.Publish.Start' }] }, 1);
        }
      }
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
