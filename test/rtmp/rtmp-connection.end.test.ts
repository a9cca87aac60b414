/**
 * RtmpConnection.end(): a clean unpublish waits for the server to answer our FIN with
 * its own (it has read everything), at most the grace; the connection ends with our
 * reason either way. The server here does the plain handshake, then either answers the
 * FIN or holds its side open, as a server that stopped reading would.
 */
import net from 'node:net';
import { RtmpConnection } from '../../src/rtmp/rtmp-connection';
import { waitFor } from '../helpers/wait-for';

const C0C1 = 1537;
const C2 = 1536;

class HalfOpenServer {
  port = 0;
  /** Set when the client's FIN arrived, with every byte before it. */
  finReceived = false;
  bytesBeforeFin = 0;
  private readonly sockets = new Set<net.Socket>();
  private readonly server = net.createServer({ allowHalfOpen: true }, (socket) => this.serve(socket));

  constructor(private readonly answerFin: boolean) {}

  async listen(): Promise<void> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.port = (this.server.address() as net.AddressInfo).port;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  private serve(socket: net.Socket): void {
    this.sockets.add(socket);
    socket.on('error', () => undefined);
    let received = 0;
    socket.on('data', (data: Buffer) => {
      const before = received;
      received += data.length;
      if (before < C0C1 && received >= C0C1) socket.write(Buffer.concat([Buffer.from([3]), Buffer.alloc(1536, 7), Buffer.alloc(1536, 9)]));
    });
    socket.on('end', () => {
      this.finReceived = true;
      this.bytesBeforeFin = received - C0C1 - C2;
      if (this.answerFin) socket.end();
    });
  }
}

let server: HalfOpenServer | undefined;
let conn: RtmpConnection | undefined;

afterEach(async () => {
  conn?.close('test over');
  conn = undefined;
  await server?.close();
  server = undefined;
});

async function connect(answerFin: boolean): Promise<{ conn: RtmpConnection; reasons: string[] }> {
  server = new HalfOpenServer(answerFin);
  await server.listen();
  conn = await RtmpConnection.open({ host: '127.0.0.1', port: server.port, tls: false, timeoutMs: 5000 });
  const reasons: string[] = [];
  conn.on('close', (reason) => reasons.push(reason));
  return { conn, reasons };
}

describe('RtmpConnection.end', () => {
  it('sends everything queued, then waits for the server to answer its FIN; the connection ends with our reason', async () => {
    const { conn: c, reasons } = await connect(true);
    c.notify('FCUnpublish', ['stream']);
    const sent = c.bytesSent;
    // A grace longer than the test's timeout: only the server's answer can end this wait.
    await c.end('unpublished', 10 * 60_000);
    expect(server!.finReceived).toBe(true);
    expect(server!.bytesBeforeFin).toBe(sent);
    expect(c.closed).toBe(true);
    expect(reasons).toEqual(['unpublished']);
  });

  it('a server that holds its side open holds end() for the grace, then the connection is closed with our reason', async () => {
    const { conn: c, reasons } = await connect(false);
    let ended = false;
    const ending = c.end('unpublished', 1000).then(() => (ended = true));
    await waitFor(() => server!.finReceived, { what: 'our FIN at the server' });
    // The server has our FIN but has not answered it: end() is still waiting.
    expect({ ended, closed: c.closed }).toEqual({ ended: false, closed: false });
    await ending;
    expect(c.closed).toBe(true);
    expect(reasons).toEqual(['unpublished']);
  });
});
