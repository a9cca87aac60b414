/**
 * Stream names claimed cluster-wide: one Redis key per name holding the owner node's id,
 * with the node's lease. Claims and releases of one name run in the order they were
 * asked (a publish that ends and one that follows on this node never cross), the
 * heartbeat renews every held name, and a node that dies loses its names when the lease
 * runs out. Redis unreachable: `unavailable`, decided by the caller.
 */
import type { Redis } from 'ioredis';
import type { Logger } from '../log';
import type { NameClaimAnswer, NameClaims } from '../streams';
import { CLAIM_SCRIPT, CLUSTER_KEYS, RELEASE_SCRIPT } from './cluster-keys';

export interface StreamClaimsOptions {
  nodeId: string;
  leaseMs: number;
}

export class StreamClaims implements NameClaims {
  private readonly held = new Set<string>();
  /** The last operation asked per name; the next one waits for it. */
  private readonly queues = new Map<string, Promise<unknown>>();

  constructor(private readonly redis: Redis, private readonly opts: StreamClaimsOptions, private readonly log: Logger) {}

  /** The names this node holds. */
  get names(): string[] {
    return [...this.held];
  }

  claim(name: string): Promise<NameClaimAnswer> {
    return this.inOrder(name, async (): Promise<NameClaimAnswer> => {
      if (this.redis.status !== 'ready') return 'unavailable';
      try {
        const won = await this.redis.eval(CLAIM_SCRIPT, 1, CLUSTER_KEYS.stream(name), this.opts.nodeId, this.opts.leaseMs);
        if (won !== 1) return 'taken';
        this.held.add(name);
        return 'claimed';
      } catch (error) {
        this.log.warn('stream name not claimed: the cluster directory did not answer', { stream: name, error: String(error) });
        return 'unavailable';
      }
    });
  }

  release(name: string): void {
    if (!this.held.delete(name)) return;
    void this.inOrder(name, () => this.deleteClaim(name));
  }

  /** Every held name, at once (a clean stop); settles when Redis answered or failed. */
  async releaseAll(): Promise<void> {
    const names = [...this.held];
    this.held.clear();
    await Promise.all(names.map((name) => this.inOrder(name, () => this.deleteClaim(name))));
  }

  /** Extends every held name by one lease; takes a name back that Redis lost (a restart without persistence). */
  async renew(): Promise<void> {
    await Promise.all(
      [...this.held].map((name) =>
        this.inOrder(name, async () => {
          if (!this.held.has(name)) return;
          const kept = await this.redis.eval(CLAIM_SCRIPT, 1, CLUSTER_KEYS.stream(name), this.opts.nodeId, this.opts.leaseMs);
          // Only after an outage longer than the lease: another node published the name meanwhile.
          if (kept !== 1) this.log.error('stream name lost to another node while the cluster directory was away; the running publish goes on', { stream: name });
        }),
      ),
    );
  }

  private async deleteClaim(name: string): Promise<void> {
    try {
      await this.redis.eval(RELEASE_SCRIPT, 1, CLUSTER_KEYS.stream(name), this.opts.nodeId);
    } catch (error) {
      // The lease ends it anyway.
      this.log.warn('stream name not released in the cluster directory; its lease will end it', { stream: name, error: String(error) });
    }
  }

  private inOrder<T>(name: string, op: () => Promise<T>): Promise<T> {
    const previous = this.queues.get(name) ?? Promise.resolve();
    const next = previous.then(op, op);
    const settled = next.catch(() => undefined);
    this.queues.set(name, settled);
    void settled.then(() => {
      if (this.queues.get(name) === settled) this.queues.delete(name);
    });
    return next;
  }
}
