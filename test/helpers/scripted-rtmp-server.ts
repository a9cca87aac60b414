/**
 * A small RTMP server on loopback whose behaviour a test chooses, for what nginx-rtmp
 * cannot be made to do on demand: accept TCP and never answer, drop every connection,
 * refuse to publish. In `publish` mode it answers like a plain RTMP server (connect,
 * createStream, publish → NetStream.Publish.Start) and records every message it gets.
 */
import net from 'node:net';
import { ChunkDecoder } from '../../src/rtmp/chunk-decoder';
import { ChunkEncoder, type RtmpMessage } from '../../src/rtmp/chunk-encoder';
import { commandMessage, decodeCommand, type RtmpCommand } from '../../src/rtmp/command-messages';
import { MessageType } from '../../src/rtmp/message-types';
import { decodeAmf0 } from '../../src/amf0';

export type ScriptedMode =
  /** Answers as an RTMP server that accepts the publish. */
  | 'publish'
  /** Accepts TCP, reads, never answers anything (not even the handshake). */
  | 'silent'
  /** Completes the handshake, never answers connect. */
  | 'mute-after-handshake';

/** Answers one command the test's own way; false leaves it to the default answers. */
export type CommandHandler = (cmd: RtmpCommand, reply: (cmd: RtmpCommand, streamId?: number) => void, end: () => void) => boolean;

export interface ReceivedMessage {
  connection: number;
  typeId: number;
  timestamp: number;
  payload: Buffer;
  /** For commands and data: the decoded name (connect, publish, @setDataFrame, FCUnpublish …). */
  name?: string;
}

export class ScriptedRtmpServer {
  mode: ScriptedMode;
  readonly received: ReceivedMessage[] = [];
  private readonly server = net.createServer((socket) => this.serve(socket));
  private readonly sockets = new Set<net.Socket>();
  private connections = 0;
  /** Answers held back while paused (a slow server), sent on resume(). */
  private held: Array<() => void> | undefined;
  port = 0;

  constructor(mode: ScriptedMode = 'publish', private readonly handler?: CommandHandler) {
    this.mode = mode;
  }

  /** Connections accepted so far. */
  get accepted(): number {
    return this.connections;
  }

  /** Connections open now. */
  get open(): number {
    return this.sockets.size;
  }

  url(path = 'live/stream'): string {
    return `rtmp://127.0.0.1:${this.port}/${path}`;
  }

  async listen(): Promise<void> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.port = (this.server.address() as net.AddressInfo).port;
  }

  /** Holds back every answer to a command until resume(): a server slow to accept. */
  pause(): void {
    this.held ??= [];
  }

  resume(): void {
    const held = this.held ?? [];
    this.held = undefined;
    for (const send of held) send();
  }

  /** Cuts every open connection (a server restart as the client sees it). */
  dropAll(): void {
    for (const s of this.sockets) s.destroy();
  }

  /** The media and data messages of one connection, in arrival order. */
  media(connection: number): ReceivedMessage[] {
    return this.received.filter(
      (m) => m.connection === connection && (m.typeId === MessageType.Audio || m.typeId === MessageType.Video || m.typeId === MessageType.DataAmf0),
    );
  }

  commands(name: string): ReceivedMessage[] {
    return this.received.filter((m) => m.name === name);
  }

  async close(): Promise<void> {
    this.dropAll();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  private serve(socket: net.Socket): void {
    const connection = ++this.connections;
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => undefined);
    const mode = this.mode;
    let pending = Buffer.alloc(0);
    let stage: 'c0c1' | 'c2' | 'chunks' = 'c0c1';
    const decoder = new ChunkDecoder();
    const encoder = new ChunkEncoder();
    const reply = (cmd: RtmpCommand, streamId = 0): void => {
      const send = (): void => void socket.write(encoder.encode(commandMessage(cmd, { chunkStreamId: 3, messageStreamId: streamId })));
      if (this.held) this.held.push(send);
      else send();
    };
    socket.on('data', (data: Buffer) => {
      if (mode === 'silent') return;
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
      let messages: RtmpMessage[];
      try {
        messages = decoder.push(pending);
      } catch {
        socket.destroy();
        return;
      }
      pending = Buffer.alloc(0);
      for (const msg of messages) this.onMessage(connection, msg, mode, reply, () => socket.end());
    });
  }

  private onMessage(connection: number, msg: RtmpMessage, mode: ScriptedMode, reply: (cmd: RtmpCommand, streamId?: number) => void, end: () => void): void {
    const entry: ReceivedMessage = { connection, typeId: msg.typeId, timestamp: msg.timestamp, payload: msg.payload };
    if (msg.typeId === MessageType.CommandAmf0 || msg.typeId === MessageType.DataAmf0) {
      try {
        const first = decodeAmf0(msg.payload)[0];
        entry.name = typeof first === 'string' ? first : '?';
      } catch {
        entry.name = '?';
      }
    }
    this.received.push(entry);
    if (msg.typeId !== MessageType.CommandAmf0 || mode !== 'publish') return;
    const cmd = decodeCommand(msg.payload);
    const tid = cmd.transactionId;
    if (this.handler?.(cmd, reply, end)) return;
    if (cmd.name === 'connect') {
      reply({ name: '_result', transactionId: tid, commandObject: { fmsVer: 'FMS/3,5,7,7009' }, args: [{ level: 'status', code: 'NetConnection.Connect.Success' }] });
    } else if (cmd.name === 'createStream') {
      reply({ name: '_result', transactionId: tid, commandObject: null, args: [1] });
    } else if (cmd.name === 'publish') {
      reply({ name: 'onStatus', transactionId: 0, commandObject: null, args: [{ level: 'status', code: 'NetStream.Publish.Start' }] }, 1);
    }
  }
}
