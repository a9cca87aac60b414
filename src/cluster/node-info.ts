/** What a node announces about itself in Redis, and GET /rest-api/cluster/nodes lists. */
import { z } from 'zod';

export const NodeLoadSchema = z.object({
  streams: z.number().int().describe('Streams published on this node (WebSocket and WHIP)'),
  transponders: z.number().int().describe('Transponders not yet ended on this node'),
  cpuPercent: z.number().describe('CPU used by the process since the last heartbeat, in percent of one core'),
});

export const NodeInfoSchema = z.object({
  id: z.string().describe('The node id ("<random>@<ip>", as REST hooks name nodes)'),
  url: z.string().describe('The REST address other nodes reach it at (cluster_advertise_url)'),
  load: NodeLoadSchema,
  startedAt: z.number().describe('Epoch ms when the node registered first'),
  updatedAt: z.number().describe('Epoch ms of its last heartbeat'),
});

export type NodeLoad = z.infer<typeof NodeLoadSchema>;
export type NodeInfo = z.infer<typeof NodeInfoSchema>;

/** A value read back from Redis, or undefined when it is not a NodeInfo (another program's key, an older version). */
export function parseNodeInfo(text: string | null): NodeInfo | undefined {
  if (text === null) return undefined;
  try {
    const parsed = NodeInfoSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
