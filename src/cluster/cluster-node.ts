/**
 * This node in the cluster: one Redis connection (ioredis, which reconnects by itself),
 * the node's announcement with a lease renewed by a heartbeat, its stream-name claims,
 * and the directory reads the REST wrapper needs (who owns a stream or a transponder,
 * which nodes are alive). Only created when cluster_redis_url is set.
 *
 * Redis down: running pushes are untouched (nothing here is on the media path); new
 * publishes are refused by StreamClaims; every heartbeat that fails is retried at the
 * next tick, and the first one after a reconnect registers the node and its names again.
 */
import { Redis } from 'ioredis';
import type { Logger } from '../log';
import { CLUSTER_KEYS, TRANSPONDER_INDEX_TTL_S } from './cluster-keys';
import { CpuMeter } from './cpu-meter';
import { parseNodeInfo, type NodeInfo } from './node-info';
import { StreamClaims } from './stream-claims';

export interface ClusterNodeOptions {
  redisUrl: string;
  nodeId: string;
  /** The REST address other nodes call (cluster_advertise_url, or http://ip:port once listening). */
  url: () => string;
  leaseMs: number;
  load: () => { streams: number; transponders: number };
}

type NodeState = 'idle' | 'running' | 'closed';

export class ClusterNode {
  readonly claims: StreamClaims;
  private readonly redis: Redis;
  private readonly cpu = new CpuMeter();
  private state: NodeState = 'idle';
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private heartbeatRunning: Promise<void> | undefined;
  private readonly startedAt = Date.now();
  /** Whether the last heartbeat reached Redis: a change is logged once, not every tick. */
  private registered = false;

  constructor(private readonly opts: ClusterNodeOptions, private readonly log: Logger) {
    this.redis = new Redis(opts.redisUrl, {
      lazyConnect: true,
      // Fail at once while disconnected (a publish is refused, a REST call answers locally) instead of queueing.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      commandTimeout: Math.max(500, Math.floor(opts.leaseMs / 4)),
      connectTimeout: Math.max(1000, Math.floor(opts.leaseMs / 2)),
      retryStrategy: (attempt) => Math.min(100 * attempt, 2000),
    });
    // ioredis reports every failed reconnect as an error: logged on the state change instead.
    this.redis.on('error', () => undefined);
    this.redis.on('ready', () => {
      if (this.state !== 'running') return;
      this.log.info('cluster directory connected; registering this node');
      void this.beat();
    });
    this.redis.on('close', () => {
      if (this.state !== 'running' || !this.registered) return;
      this.registered = false;
      this.log.error('cluster directory (Redis) lost: running pushes go on, new publishes are refused until it is back');
    });
    this.claims = new StreamClaims(this.redis, { nodeId: opts.nodeId, leaseMs: opts.leaseMs }, log);
  }

  get id(): string {
    return this.opts.nodeId;
  }

  get connected(): boolean {
    return this.redis.status === 'ready';
  }

  /** Connects and registers; a Redis that is not there yet is logged, and joined when it comes. */
  async start(): Promise<void> {
    if (this.state !== 'idle') return;
    this.state = 'running';
    this.heartbeatTimer = setInterval(() => void this.beat(), Math.max(100, Math.floor(this.opts.leaseMs / 3)));
    try {
      await this.redis.connect();
      await this.beat();
    } catch (error) {
      this.log.error('cluster directory (Redis) not reachable at start: this node refuses new publishes until it is', { error: String(error) });
    }
  }

  /** Announces the node and renews its names; failures wait for the next tick. */
  beat(): Promise<void> {
    this.heartbeatRunning ??= this.announce().finally(() => (this.heartbeatRunning = undefined));
    return this.heartbeatRunning;
  }

  private async announce(): Promise<void> {
    if (this.state !== 'running' || this.redis.status !== 'ready') return;
    const info: NodeInfo = {
      id: this.opts.nodeId,
      url: this.opts.url(),
      load: { ...this.opts.load(), cpuPercent: this.cpu.read() },
      startedAt: this.startedAt,
      updatedAt: Date.now(),
    };
    try {
      await this.redis.multi().set(CLUSTER_KEYS.node(info.id), JSON.stringify(info), 'PX', this.opts.leaseMs).sadd(CLUSTER_KEYS.nodes, info.id).exec();
      await this.claims.renew();
      if (!this.registered) this.log.info('cluster node registered', { node: info.id, url: info.url, streams: this.claims.names.length });
      this.registered = true;
    } catch (error) {
      if (this.registered) this.log.error('cluster heartbeat failed; retrying at the next one', { error: String(error) });
      this.registered = false;
    }
  }

  /** The live nodes, this one included, by id; nodes whose lease ended are pruned from the set. */
  async liveNodes(): Promise<NodeInfo[]> {
    const ids = await this.redis.smembers(CLUSTER_KEYS.nodes);
    if (ids.length === 0) return [];
    const values = await this.redis.mget(ids.map((id) => CLUSTER_KEYS.node(id)));
    const gone = ids.filter((_, i) => values[i] === null);
    if (gone.length > 0) void this.redis.srem(CLUSTER_KEYS.nodes, ...gone).catch(() => undefined);
    return values.map(parseNodeInfo).filter((n): n is NodeInfo => n !== undefined).sort((a, b) => a.id.localeCompare(b.id));
  }

  /** A live node by id, or undefined when its lease ended. */
  async node(id: string): Promise<NodeInfo | undefined> {
    return parseNodeInfo(await this.redis.get(CLUSTER_KEYS.node(id)));
  }

  async ownerOfStream(name: string): Promise<string | undefined> {
    return (await this.redis.get(CLUSTER_KEYS.stream(name))) ?? undefined;
  }

  async ownerOfTransponder(mediaSessionId: string): Promise<string | undefined> {
    return (await this.redis.get(CLUSTER_KEYS.transponder(mediaSessionId))) ?? undefined;
  }

  /** Records that a transponder runs here, so a terminate sent to any node reaches it. */
  indexTransponder(mediaSessionId: string): void {
    if (this.state !== 'running' || this.redis.status !== 'ready') return;
    this.redis.set(CLUSTER_KEYS.transponder(mediaSessionId), this.opts.nodeId, 'EX', TRANSPONDER_INDEX_TTL_S).catch((error: unknown) => {
      this.log.warn('transponder not indexed in the cluster directory: only this node can change it', { mediaSessionId, error: String(error) });
    });
  }

  /**
   * A clean stop: the names and the announcement go at once, so other nodes can take the
   * names and stop listing this one; then the connection closes. Idempotent.
   */
  async close(): Promise<void> {
    if (this.state === 'closed') return;
    const wasRunning = this.state === 'running';
    this.state = 'closed';
    clearInterval(this.heartbeatTimer);
    if (wasRunning && this.redis.status === 'ready') {
      try {
        await this.claims.releaseAll();
        await this.redis.multi().del(CLUSTER_KEYS.node(this.opts.nodeId)).srem(CLUSTER_KEYS.nodes, this.opts.nodeId).exec();
      } catch (error) {
        this.log.warn('cluster node not unregistered; its lease will end it', { error: String(error) });
      }
    }
    this.redis.disconnect();
  }

  /** Tests: dies as a killed process would, holding its names and its announcement until their lease ends. */
  crash(): void {
    this.state = 'closed';
    clearInterval(this.heartbeatTimer);
    this.redis.disconnect();
  }
}
