/**
 * RtmpConnection and acknowledgements (Adobe RTMP specification 1.0, 5.4.3 Acknowledgement,
 * type 3, a 4-byte sequence number; 5.4.4 Window Acknowledgement Size, type 5, a 4-byte
 * window size), on the wire against a small server on loopback.
 */
import { RtmpConnection, DEFAULT_ACK_WINDOW_BYTES } from '../../src/rtmp/rtmp-connection';
import { MessageType } from '../../src/rtmp/message-types';
import { AckTracker } from '../../src/rtmp/ack-tracker';
import { waitFor } from '../helpers/wait-for';
import { AckingRtmpServer } from './acking-rtmp-server';
import { hex } from './helpers';

let server: AckingRtmpServer;
let conn: RtmpConnection | undefined;

beforeEach(async () => {
  // Reads whatever arrives at once: an acknowledgement always falls between messages here.
  server = new AckingRtmpServer(Infinity);
  await server.listen();
});

afterEach(async () => {
  conn?.close('test over');
  conn = undefined;
  await server.close();
});

function open(ackWindowBytes?: number): Promise<RtmpConnection> {
  return RtmpConnection.open({ host: '127.0.0.1', port: server.port, tls: false, timeoutMs: 5000, chunkSize: 4096, ackWindowBytes });
}

function video(timestamp: number, size: number): Parameters<RtmpConnection['writeMessage']>[0] {
  return { chunkStreamId: 6, timestamp, typeId: MessageType.Video, messageStreamId: 1, payload: Buffer.alloc(size, 0x27) };
}

describe('RtmpConnection acknowledgements', () => {
  it('announces its window right after the handshake, after Set Chunk Size: 32 KiB by default', async () => {
    conn = await open();
    await waitFor(() => server.bytesReceived >= 28, { what: 'both control messages' });
    expect(DEFAULT_ACK_WINDOW_BYTES).toBe(32 * 1024);
    expect(Buffer.concat(server.raw).subarray(0, 28)).toEqual(
      hex(
        // Set Chunk Size: fmt 0, csid 2 | timestamp 0 | length 4 | type 1 | stream 0 | 4096
        '02', '000000', '000004', '01', '00000000', '00001000',
        // Window Acknowledgement Size: fmt 1 (same stream, new type), csid 2 | delta 0 | length 4 | type 5 | 32768
        '42', '000000', '000004', '05', '00008000',
      ),
    );
    expect(server.announcedWindow).toBe(32 * 1024);
  });

  it("answers the server's Window Acknowledgement Size with its own window and leaves Set Peer Bandwidth unanswered", async () => {
    conn = await open(50_000);
    await conn.call('connect', { app: 'live' });
    conn.notify('FCPublish', ['x']); // anything after the connect's answers
    await waitFor(() => server.messages.some((m) => m.typeId === MessageType.CommandAmf0 && m.payload.includes('FCPublish')), { what: 'FCPublish' });
    const windows = server.messages.filter((m) => m.typeId === MessageType.WindowAckSize).map((m) => m.payload.toString('hex'));
    // Once after the handshake, once in answer to the server's 5,000,000: never the server's value.
    expect(windows).toEqual(['0000c350', '0000c350']);
  });

  it("passes the server's acknowledgements on; counted like bytesSent, they tell which media it has received", async () => {
    conn = await open(10_000);
    const c = conn;
    const tracker = new AckTracker({ windowBytes: c.ackWindowBytes });
    const sequenceNumbers: number[] = [];
    c.on('acknowledgement', (n) => {
      sequenceNumbers.push(n);
      tracker.acknowledge(n, c.bytesSent);
    });
    const write = (from: number, to: number): void => {
      for (let i = from; i < to; i++) {
        c.writeMessage(video(i * 40, 3000));
        tracker.written(c.bytesSent, i * 40, 0);
      }
    };
    // Four messages of 3000 bytes, twice: only the fourth completes a window of 10 000,
    // however the bytes are split on the way, so the server acknowledges after each fourth.
    write(0, 4);
    await waitFor(() => sequenceNumbers.length === 1, { what: 'the first acknowledgement' });
    expect(sequenceNumbers[0]).toBe(c.bytesSent); // the server counts from the handshake on, as we do
    expect(tracker.ackedTimestamp).toBe(120);
    write(4, 8);
    await waitFor(() => sequenceNumbers.length === 2, { what: 'the second acknowledgement' });
    expect(sequenceNumbers).toEqual(server.acksSent);
    expect(tracker.ackedTimestamp).toBe(280);
    server.acknowledging = false;
    write(8, 100);
    await waitFor(() => server.bytesReceived >= c.bytesSent, { what: 'all bytes at the server' });
    expect(tracker.ackedTimestamp).toBe(280); // it stopped acknowledging
    server.acknowledging = true;
    await waitFor(() => tracker.ackedBytes === c.bytesSent, { what: 'the catch-up acknowledgement' });
    expect(tracker.ackedTimestamp).toBe(99 * 40);
  });
});
