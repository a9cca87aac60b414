/**
 * The smallest RTMP player the relay benchmark needs: connect → createStream → play on
 * nginx-rtmp, then note when the first video frame (an AVC NALU message, not a sequence
 * header) has arrived whole. Built on our own wire code (handshake, chunk codec, AMF0).
 *
 * Why not ffprobe/ffmpeg as the player: they probe the stream (find_stream_info) before
 * they hand out a frame, which adds their own, varying delay to what we measure. A
 * frame's bytes at a player are what the relay controls; decoding one 720p frame is a
 * few ms more for any real player.
 */
import net from 'node:net';
import { ChunkDecoder } from '../../src/rtmp/chunk-decoder';
import { ChunkEncoder } from '../../src/rtmp/chunk-encoder';
import { commandMessage, decodeCommandMessage, type RtmpCommand } from '../../src/rtmp/command-messages';
import { acknowledgementMessage, parseControlMessage, pingResponseMessage } from '../../src/rtmp/control-messages';
import { ClientHandshake } from '../../src/rtmp/handshake';
import { MessageType, UserControlEvent, type RtmpMessage } from '../../src/rtmp/message-types';

export interface PlayTarget {
  host: string;
  port: number;
  app: string;
  name: string;
}

export class RtmpPlayer {
  /** performance.now() when the first video frame arrived whole. */
  readonly firstVideoFrame: Promise<number>;
  /** Video frames and audio frames received (sequence headers aside). */
  videoFrames = 0;
  audioFrames = 0;
  private readonly socket: net.Socket;
  private readonly decoder = new ChunkDecoder();
  private readonly encoder = new ChunkEncoder();
  private handshake = new ClientHandshake(() => Date.now());
  private streamId = 0;
  private ackWindow = 0;
  private lastAck = 0;
  private resolveFirst!: (at: number) => void;
  private rejectFirst!: (err: Error) => void;
  private resolveReady!: () => void;
  private rejectReady!: (err: Error) => void;
  private readonly ready: Promise<void>;
  private closed = false;

  private constructor(private readonly target: PlayTarget) {
    this.firstVideoFrame = new Promise((res, rej) => {
      this.resolveFirst = res;
      this.rejectFirst = rej;
    });
    this.firstVideoFrame.catch(() => undefined);
    this.ready = new Promise((res, rej) => {
      this.resolveReady = res;
      this.rejectReady = rej;
    });
    this.ready.catch(() => undefined);
    this.socket = net.connect({ host: target.host, port: target.port });
    this.socket.setNoDelay(true);
    this.socket.once('connect', () => this.socket.write(this.handshake.start()));
    this.socket.on('data', (d: Buffer) => this.onData(d));
    this.socket.on('error', (e) => this.fail(e));
    this.socket.on('close', () => this.fail(new Error('nginx closed the player connection')));
  }

  /** Connects and plays; resolves once nginx answered play (NetStream.Play.Start), publisher or not. */
  static async play(target: PlayTarget, timeoutMs = 5000): Promise<RtmpPlayer> {
    const player = new RtmpPlayer(target);
    const timer = setTimeout(() => player.fail(new Error(`no NetStream.Play.Start within ${timeoutMs} ms`)), timeoutMs);
    try {
      await player.ready;
      return player;
    } catch (error) {
      player.close();
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.socket.destroy();
    this.rejectFirst(new Error('player closed'));
  }

  private fail(err: Error): void {
    this.rejectReady(err);
    this.rejectFirst(err);
    this.close();
  }

  private send(msg: RtmpMessage): void {
    if (!this.closed) this.socket.write(this.encoder.encode(msg));
  }

  private command(name: string, txn: number, obj: RtmpCommand['commandObject'], args: RtmpCommand['args'], msid = 0, csid = 3): void {
    this.send(commandMessage({ name, transactionId: txn, commandObject: obj, args }, { chunkStreamId: csid, messageStreamId: msid }));
  }

  private onData(data: Buffer): void {
    if (this.closed) return;
    let chunkData: Buffer | undefined = data;
    if (!this.handshake.done) {
      const step = this.handshake.push(data);
      if (step.send) this.socket.write(step.send);
      if (!step.done) return;
      chunkData = step.rest;
      const { app, host, port } = this.target;
      this.command('connect', 1, { app, flashVer: 'LNX 9,0,124,2', tcUrl: `rtmp://${host}:${port}/${app}`, fpad: false, capabilities: 15, audioCodecs: 0x0fff, videoCodecs: 0x00ff, videoFunction: 1 }, []);
    }
    if (!chunkData || chunkData.length === 0) return;
    let messages: RtmpMessage[];
    try {
      messages = this.decoder.push(chunkData);
    } catch (err) {
      this.fail(err as Error);
      return;
    }
    for (const msg of messages) this.onMessage(msg);
    if (this.ackWindow > 0 && this.decoder.bytesReceived - this.lastAck >= this.ackWindow) {
      this.lastAck = this.decoder.bytesReceived;
      this.send(acknowledgementMessage(this.lastAck % 0x1_0000_0000));
    }
  }

  private onMessage(msg: RtmpMessage): void {
    switch (msg.typeId) {
      case MessageType.Video:
        // AVC: byte 1 is the packet type, 1 = NALU (0 = sequence header).
        if (msg.payload.length > 5 && msg.payload[1] === 1) {
          if (this.videoFrames++ === 0) this.resolveFirst(performance.now());
        }
        return;
      case MessageType.Audio:
        if (msg.payload.length > 2 && msg.payload[1] === 1) this.audioFrames++;
        return;
      case MessageType.CommandAmf0:
      case MessageType.CommandAmf3:
        this.onCommand(decodeCommandMessage(msg));
        return;
      default: {
        const control = parseControlMessage(msg);
        if (control?.kind === 'windowAckSize') this.ackWindow = control.size;
        if (control?.kind === 'userControl' && control.event === UserControlEvent.PingRequest) this.send(pingResponseMessage(control.timestamp ?? 0));
      }
    }
  }

  private onCommand(cmd: RtmpCommand): void {
    if (cmd.name === '_result' && cmd.transactionId === 1) {
      this.command('createStream', 2, null, []);
    } else if (cmd.name === '_result' && cmd.transactionId === 2) {
      this.streamId = cmd.args.find((a): a is number => typeof a === 'number') ?? 1;
      this.command('play', 0, null, [this.target.name, -1], this.streamId, 8);
    } else if (cmd.name === '_error') {
      this.fail(new Error(`nginx refused ${cmd.transactionId === 1 ? 'connect' : 'createStream'}`));
    } else if (cmd.name === 'onStatus') {
      const info = cmd.args[0] as { code?: string } | undefined;
      if (info?.code === 'NetStream.Play.Start') this.resolveReady();
      else if (info?.code && /Failed|StreamNotFound|BadName/.test(info.code)) this.fail(new Error(`play refused: ${info.code}`));
    }
  }
}
