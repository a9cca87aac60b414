/**
 * The cluster's HTTP routes:
 * - GET /rest-api/cluster/nodes [extension]: the live nodes, behind the REST credentials.
 * - POST /cluster/internal/<op>: what other nodes forward (a /push method run on this
 *   node's own manager, never forwarded again), behind cluster_secret instead of the REST
 *   credentials. Not in the API documentation.
 */
import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import { RestError, toErrorReply } from '../rest/errors';
import { apiResponses, type ZodFastifyInstance } from '../rest/route-schemas';
import type { StartupRequest, TransponderApi, TransponderFilter } from '../transponder/transponder-api';
import { INTERNAL_OPS, INTERNAL_PREFIX, SECRET_HEADER, secretMatches, type InternalOp } from './internal-calls';
import { NodeInfoSchema, type NodeInfo } from './node-info';

export const CLUSTER_NODES_PATH = '/cluster/nodes';

const NodesAnswer = z.array(NodeInfoSchema).describe('The live nodes (their lease not ended), by id');

export function registerClusterApiRoutes(rest: ZodFastifyInstance, liveNodes: () => Promise<NodeInfo[]>): void {
  rest.get(
    CLUSTER_NODES_PATH,
    { schema: { tags: ['cluster'], summary: '[extension] The live nodes of the cluster, with their load', response: apiResponses({ 200: NodesAnswer }, ['CLUSTER_UNAVAILABLE']) } },
    async (request) => {
      try {
        return await liveNodes();
      } catch (error) {
        // Redis down or slow: expected and temporary, so a 503 a balancer or a client may retry, not a 500.
        request.log.warn({ error: String(error) }, 'cluster directory not readable');
        throw new RestError('CLUSTER_UNAVAILABLE');
      }
    },
  );
}

const SessionCall = z.object({ mediaSessionId: z.string() });
const CALLS: Record<InternalOp, z.ZodType> = {
  // Validated by the node that took the request; here only its shape.
  startup: z.looseObject({ streamName: z.string(), rtmpUrl: z.string() }),
  find: z.object({ streamName: z.string().optional(), rtmpUrl: z.string().optional() }),
  find_all: z.object({}),
  terminate: SessionCall,
  mute: SessionCall,
  unmute: SessionCall,
  sound_on: z.object({ mediaSessionId: z.string(), soundFile: z.string(), loop: z.boolean() }),
  sound_off: SessionCall,
};

function run(local: TransponderApi, op: InternalOp, body: unknown): unknown {
  const s = body as { mediaSessionId: string; soundFile: string; loop: boolean };
  switch (op) {
    case 'startup':
      return local.startup(body as StartupRequest);
    case 'find':
      return local.find(body as TransponderFilter);
    case 'find_all':
      return local.findAll();
    case 'terminate':
      return local.terminate(s.mediaSessionId);
    case 'mute':
      return local.mute(s.mediaSessionId);
    case 'unmute':
      return local.unmute(s.mediaSessionId);
    case 'sound_on':
      return local.soundOn(s.mediaSessionId, s.soundFile, s.loop);
    case 'sound_off':
      return local.soundOff(s.mediaSessionId);
  }
}

/** `secret` is read per call; `local` is this node's own manager. */
export function registerClusterInternalRoutes(app: ZodFastifyInstance, local: TransponderApi, secret: () => string): void {
  for (const op of INTERNAL_OPS) {
    app.post(`${INTERNAL_PREFIX}/${op}`, { schema: { hide: true } }, async (request, reply: FastifyReply) => {
      const given = request.headers[SECRET_HEADER];
      if (!secretMatches(typeof given === 'string' ? given : undefined, secret())) {
        return reply.code(401).send({ error: 'Unauthorized', code: 'UNAUTHORIZED', message: `${SECRET_HEADER} missing or wrong` });
      }
      const parsed = CALLS[op].safeParse(request.body ?? {});
      if (!parsed.success) return reply.code(400).send({ error: 'Bad Request', code: 'BAD_REQUEST', message: `bad ${op} call: ${parsed.error.message}` });
      try {
        const result = await run(local, op, parsed.data);
        return reply.code(200).send({ result: result ?? null });
      } catch (error) {
        const { status, body } = toErrorReply(error);
        if (status >= 500) request.log.error({ op, error: String(error) }, 'cluster call failed');
        return reply.code(status).send(body);
      }
    });
  }
}
