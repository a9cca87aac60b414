/** Where the cluster keeps its state in Redis: every key under one prefix, so a shared Redis stays readable. */
export const CLUSTER_KEYS = {
  /** The set of node ids ever registered (pruned when a node's own key is gone). */
  nodes: 'rtx:nodes',
  /** A node's announcement (JSON NodeInfo), living one lease. */
  node: (id: string) => `rtx:node:${id}`,
  /** The owner node of a published stream name, living one lease. */
  stream: (name: string) => `rtx:stream:${name}`,
  /** The node a transponder (mediaSessionId) runs on; kept a day, longer than any ended transponder is listed. */
  transponder: (mediaSessionId: string) => `rtx:transponder:${mediaSessionId}`,
} as const;

export const TRANSPONDER_INDEX_TTL_S = 24 * 3600;

/**
 * Claims (or renews) a name for a node: free or already the node's → set with the lease, 1;
 * another node's → 0. One script for both, so a claim lost while Redis restarted is taken
 * again by the renewal.
 */
export const CLAIM_SCRIPT = `
local owner = redis.call('GET', KEYS[1])
if owner == false or owner == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0`;

/** Deletes a claim only when the node still holds it (compare-and-delete). */
export const RELEASE_SCRIPT = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0`;
