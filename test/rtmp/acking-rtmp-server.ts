/**
 * A small RTMP server on loopback that acknowledges the way the spec (5.4.3/5.4.4) and
 * nginx-rtmp do: after each Window Acknowledgement Size its client announced has been
 * received, it sends an Acknowledgement of the bytes received since the handshake. A test
 * turns acknowledging off and on (`acknowledging`): to the client, a server that stops
 * acknowledging is a server that stopped reading, without filling the kernel's buffers.
 *
 * It answers connect (with the Window Acknowledgement Size and Set Peer Bandwidth nginx-rtmp
 * sends, 5,000,000 bytes), createStream and publish, and records what it gets. Each
 * Acknowledgement is followed by a Ping Request: once its Ping Response is back, the client
 * has handled the acknowledgement too (one connection, messages in order): `settled`.
 */
import net from 'node:net';
import { ChunkDecoder } from '../../src/rtmp/chunk-decoder';
import { ChunkEncoder, type RtmpMessage } from '../../src/rtmp/chunk-encoder';
import { commandMessage, decodeCommand } from '../../src/rtmp/command-messages';
import {
  acknowledgementMessage,
  parseControlMessage,
  setPeerBandwidthMessage,
  userControlMessage,
  windowAckSizeMessage,
} from '../../src/rtmp/control-messages';
import { MessageType, UserControlEvent } from '../../src/rtmp/message-types';
import type { Amf0Value } from '../../src/amf0';

const HANDSHAKE_BYTES = 1537 + 1536;

export class AckingRtmpServer {
  /** Messages received after the handshake, in order. */
  readonly messages: RtmpMessage[] = [];
  /** The bytes received after the handshake (C0, C1, C2), as they came. */
  readonly raw: Buffer[] = [];
  /** Acknowledgements sent (sequence numbers). */
  readonly acksSent: number[] = [];
  port = 0;
  private readonly server = net.createServer((s) => this.serve(s));
  private socket: net.Socket | undefined;
  private encoder = new ChunkEncoder();
  private window = 0;
  private received = 0;
  private lastAck = 0;
  private acking = true;
  private pingsSent = 0;
  private pingsAnswered = 0;

  /**
   * `readBytes`: the most it handles at a time, acknowledging after each read that
   * completes a window. nginx-rtmp reads at most its chunk buffer (~4 KiB), so its
   * acknowledgements are as fine as the window; Infinity takes what arrives at once.
   */
  constructor(private readonly readBytes = 4096) {}

  async listen(): Promise<void> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.port = (this.server.address() as net.AddressInfo).port;
  }

  url(path = 'live/stream'): string {
    return `rtmp://127.0.0.1:${this.port}/${path}`;
  }

  /** Bytes received after the handshake. */
  get bytesReceived(): number {
    return this.received;
  }

  /** The window its client announced (0 until one came). */
  get announcedWindow(): number {
    return this.window;
  }

  get acknowledging(): boolean {
    return this.acking;
  }

  /** Off: reads on, acknowledges nothing. On again: acknowledges all received at once. */
  set acknowledging(on: boolean) {
    this.acking = on;
    if (on && this.received > this.lastAck) this.acknowledge();
  }

  /** Every acknowledgement sent has been handled by the client (its ping came back). */
  get settled(): boolean {
    return this.pingsAnswered === this.pingsSent;
  }

  /** Audio and video messages received, in order. */
  media(): RtmpMessage[] {
    return this.messages.filter((m) => m.typeId === MessageType.Audio || m.typeId === MessageType.Video);
  }

  async close(): Promise<void> {
    this.socket?.destroy();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  private acknowledge(): void {
    this.lastAck = this.received;
    this.acksSent.push(this.received);
    this.send(acknowledgementMessage(this.received));
    const ping = Buffer.alloc(4);
    ping.writeUInt32BE(++this.pingsSent);
    this.send(userControlMessage(UserControlEvent.PingRequest, ping));
  }

  private send(msg: RtmpMessage): void {
    this.socket?.write(this.encoder.encode(msg));
  }

  private serve(socket: net.Socket): void {
    this.socket?.destroy();
    this.socket = socket;
    this.encoder = new ChunkEncoder();
    socket.on('error', () => undefined);
    const decoder = new ChunkDecoder();
    let handshake = Buffer.alloc(0);
    socket.on('data', (data: Buffer) => {
      if (handshake.length < HANDSHAKE_BYTES) {
        const before = handshake.length;
        handshake = Buffer.concat([handshake, data]);
        if (before < 1537 && handshake.length >= 1537) {
          socket.write(Buffer.concat([Buffer.from([3]), Buffer.alloc(1536, 7), handshake.subarray(1, 1537)]));
        }
        if (handshake.length <= HANDSHAKE_BYTES) return;
        data = handshake.subarray(HANDSHAKE_BYTES);
      }
      this.raw.push(data);
      for (let at = 0; at < data.length; at += this.readBytes) {
        const piece = data.subarray(at, at + this.readBytes);
        this.received += piece.length;
        for (const msg of decoder.push(piece)) this.onMessage(msg);
        if (this.acking && this.window > 0 && this.received - this.lastAck >= this.window) this.acknowledge();
      }
    });
  }

  private onMessage(msg: RtmpMessage): void {
    this.messages.push(msg);
    const control = parseControlMessage(msg);
    if (control?.kind === 'windowAckSize') this.window = control.size;
    if (control?.kind === 'userControl' && control.event === UserControlEvent.PingResponse) this.pingsAnswered = control.timestamp ?? 0;
    if (msg.typeId !== MessageType.CommandAmf0) return;
    const cmd = decodeCommand(msg.payload);
    const reply = (name: string, args: Amf0Value[], streamId = 0): void =>
      this.send(commandMessage({ name, transactionId: name === 'onStatus' ? 0 : cmd.transactionId, commandObject: null, args }, { chunkStreamId: 3, messageStreamId: streamId }));
    if (cmd.name === 'connect') {
      this.send(windowAckSizeMessage(5_000_000));
      this.send(setPeerBandwidthMessage(5_000_000, 2));
      reply('_result', [{ level: 'status', code: 'NetConnection.Connect.Success' }]);
    } else if (cmd.name === 'createStream') {
      reply('_result', [1]);
    } else if (cmd.name === 'publish') {
      reply('onStatus', [{ level: 'status', code: 'NetStream.Publish.Start' }], 1);
    }
  }
}
