/**
 * A lossy path for UDP media, since this kernel has no sch_netem: a relay that listens
 * where the service announces its candidates (`ip`), forwards to where it binds
 * (`ip_local`, same port), and on the way, in both directions, drops a fraction of the
 * datagrams and delays the others by a random time in a range, keeping their order (a
 * queue with jitter, not a reordering path: werift 0.25.2's DTLS server derives wrong
 * keys when the browser's CertificateVerify overtakes its ClientKeyExchange, a bug this
 * relay does not set out to show). Randomness is seeded.
 *
 * With settings `ip=127.0.0.2`, `ip_local=127.0.0.1` the browser sends to 127.0.0.2:P and
 * hears back from there; werift sees the relay's socket (127.0.0.1:ephemeral) as the
 * browser's peer-reflexive address. werift takes media ports from `media_port_from`
 * upwards, first free first, so the relay listens on the first few of them.
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { seededRandom } from './seeded-random';

export interface LossyUdpRelayOptions {
  /** where the relay listens: the address the service announces */
  listenHost: string;
  /** where it forwards: the address the service binds, on the same port */
  targetHost: string;
  ports: number[];
  /** fraction of datagrams dropped, in each direction */
  loss: number;
  /** each datagram that passes is delayed by a uniform time in [min, max] ms */
  delayMs: [number, number];
  seed: number;
}

export interface LossyUdpRelayStats {
  toService: { passed: number; dropped: number };
  toBrowser: { passed: number; dropped: number };
}

export class LossyUdpRelay {
  private readonly random: () => number;
  private readonly fronts: Socket[] = [];
  /** one socket towards the service per (front port, browser address) */
  private readonly backs = new Map<string, Socket>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private closed = false;
  /** per direction: when the last datagram leaves, so none overtakes another */
  private readonly lastDeparture = new Map<object, number>();
  readonly stats: LossyUdpRelayStats = { toService: { passed: 0, dropped: 0 }, toBrowser: { passed: 0, dropped: 0 } };

  private constructor(private readonly options: LossyUdpRelayOptions) {
    this.random = seededRandom(options.seed);
  }

  static async start(options: LossyUdpRelayOptions): Promise<LossyUdpRelay> {
    const relay = new LossyUdpRelay(options);
    try {
      for (const port of options.ports) relay.fronts.push(await relay.listen(port));
    } catch (error) {
      await relay.close();
      throw error;
    }
    return relay;
  }

  /** The loss and delay can change while packets flow (a path that gets worse). */
  setLoss(loss: number): void {
    this.options.loss = loss;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    const sockets = [...this.fronts, ...this.backs.values()];
    this.fronts.length = 0;
    this.backs.clear();
    await Promise.all(sockets.map((s) => new Promise<void>((r) => s.close(() => r()))));
  }

  private async listen(port: number): Promise<Socket> {
    const front = createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      front.once('error', reject);
      front.bind(port, this.options.listenHost, () => {
        front.off('error', reject);
        resolve();
      });
    });
    front.on('error', () => undefined); // ICMP port unreachable and the like: the path is lossy anyway
    front.on('message', (data, from) => {
      const back = this.backFor(front, port, from);
      if (back) this.impair(this.stats.toService, () => back.send(data, port, this.options.targetHost));
    });
    return front;
  }

  private backFor(front: Socket, port: number, browser: RemoteInfo): Socket | undefined {
    if (this.closed) return undefined;
    const key = `${port} ${browser.address}:${browser.port}`;
    let back = this.backs.get(key);
    if (!back) {
      const socket = createSocket('udp4');
      socket.on('error', () => undefined);
      socket.on('message', (data) => {
        this.impair(this.stats.toBrowser, () => front.send(data, browser.port, browser.address));
      });
      socket.bind(0, this.options.targetHost);
      this.backs.set(key, socket);
      back = socket;
    }
    return back;
  }

  private impair(counter: { passed: number; dropped: number }, send: () => void): void {
    if (this.closed) return;
    if (this.random() < this.options.loss) {
      counter.dropped++;
      return;
    }
    counter.passed++;
    const [min, max] = this.options.delayMs;
    const now = performance.now();
    const departure = Math.max(now + min + this.random() * (max - min), this.lastDeparture.get(counter) ?? 0);
    this.lastDeparture.set(counter, departure);
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (!this.closed) send();
    }, departure - now);
    this.timers.add(timer);
  }
}
