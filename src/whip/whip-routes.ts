/**
 * The WHIP routes (RFC 9725) on the HTTP server, at the root:
 *
 *   POST    /whip/{streamName}     offer (application/sdp) → 201 answer, Location, ETag, Link
 *   POST    /whip?name=…           the same, for encoders that take one URL
 *   DELETE  /whip/session/{id}     ends the publish and its relays → 200
 *   PATCH   /whip/session/{id}     405: no trickle ICE, no ICE restart (see whip-endpoint.ts)
 *   OPTIONS on each                CORS preflight; Accept-Post: application/sdp on the endpoint
 *
 * `?rtmpUrl=` [extension] relays on publish, as the WebSDK's createStream({rtmpUrl}).
 * Errors answer with a text/plain body. Every answer carries CORS headers, so a page of
 * any origin can publish with fetch() alone.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { ZodFastifyInstance } from '../rest/route-schemas';
import type { WhipEndpoint } from './whip-endpoint';
import { WhipError, type WhipErrorCode, WHIP_ERRORS } from './whip-errors';

export const WHIP_PATH = '/whip';
export const WHIP_SESSION_PATH = '/whip/session';
/** An SDP offer is a few kB; far larger is not an offer. */
const OFFER_BODY_LIMIT = 128 * 1024;

const CORS_HEADERS = {
  'access-control-allow-origin': '*',
  'access-control-expose-headers': 'Location, ETag, Link, Accept-Post, Accept-Patch, Allow',
} as const;

const PREFLIGHT_HEADERS = {
  'access-control-allow-methods': 'POST, DELETE, PATCH, OPTIONS',
  'access-control-allow-headers': 'Authorization, Content-Type, If-Match',
  'access-control-max-age': '86400',
} as const;

const text = (description: string) => ({ description, content: { 'text/plain': { schema: z.string() } } });

/** The documented error answers of a route: one per status of the codes it may answer. */
function errorAnswers(codes: readonly WhipErrorCode[]): Record<number, ReturnType<typeof text>> {
  const byStatus = new Map<number, WhipErrorCode[]>();
  for (const code of codes) byStatus.set(WHIP_ERRORS[code], [...(byStatus.get(WHIP_ERRORS[code]) ?? []), code]);
  return Object.fromEntries([...byStatus].map(([status, list]) => [status, text(list.join(', '))]));
}

const PublishQuery = z.object({
  name: z.string().optional().describe('The stream name, when the path has none (POST /whip)'),
  rtmpUrl: z.string().optional().describe('[extension] Relay to this rtmp:// or rtmps:// URL once publishing (rtmp_push_from_client)'),
});

const POST_ERRORS: WhipErrorCode[] = ['BAD_SDP', 'NO_STREAM_NAME', 'BAD_RTMP_URL', 'UNAUTHORIZED', 'FORBIDDEN', 'NAME_IN_USE', 'UNSUPPORTED_CONTENT_TYPE', 'NO_ACCEPTABLE_CODEC', 'INTERNAL', 'STREAM_LIMIT', 'CLUSTER_UNAVAILABLE'];

function publishSchema(summary: string, params?: z.ZodObject) {
  return {
    tags: ['whip'],
    summary,
    ...(params ? { params } : {}),
    querystring: PublishQuery,
    consumes: ['application/sdp'],
    body: z.string().describe('The SDP offer (application/sdp), every candidate in it: no trickle ICE'),
    response: {
      201: {
        description: 'The SDP answer; Location: the session resource (DELETE it to stop); ETag; Link: rel="ice-server" per STUN/TURN URL (RFC 9725 4.6)',
        content: { 'application/sdp': { schema: z.string() } },
      },
      ...errorAnswers(POST_ERRORS),
    },
  };
}

const SessionParams = z.object({ id: z.string().describe('The id of the Location the POST answered') });

function sendError(reply: FastifyReply, error: WhipError, extra: Record<string, string> = {}): FastifyReply {
  if (error.code === 'UNAUTHORIZED') reply.header('www-authenticate', 'Bearer');
  if (error.code === 'UNSUPPORTED_CONTENT_TYPE') reply.header('accept-post', 'application/sdp');
  return reply.code(error.status).headers(extra).type('text/plain; charset=utf-8').send(`${error.message}\n`);
}

export function registerWhipRoutes(app: ZodFastifyInstance, whip: WhipEndpoint): void {
  app.register(async (scope) => {
    // Offers are text of any declared type here: the endpoint answers 415 itself, with a text body.
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'string', bodyLimit: OFFER_BODY_LIMIT }, async (_request: FastifyRequest, body: string | Buffer) =>
      typeof body === 'string' ? body : body.toString('utf8'),
    );
    scope.addHook('onSend', async (_request, reply, payload) => {
      reply.headers(CORS_HEADERS);
      return payload;
    });

    const onPost = async (request: FastifyRequest, reply: FastifyReply, pathName: string | undefined): Promise<FastifyReply> => {
      const query = request.query as z.infer<typeof PublishQuery>;
      if (request.validationError) return sendError(reply, new WhipError('NO_STREAM_NAME', 'name and rtmpUrl are given at most once each'));
      try {
        const { session, answerSdp, links } = await whip.publish({
          name: pathName ?? query.name,
          rtmpUrl: query.rtmpUrl === '' ? undefined : query.rtmpUrl,
          contentType: request.headers['content-type'],
          authorization: request.headers.authorization,
          offerSdp: typeof request.body === 'string' ? request.body : '',
          remote: `${request.ip}:${request.socket.remotePort ?? '?'}`,
        });
        if (links.length > 0) reply.header('link', links);
        return reply
          .code(201)
          .header('location', `${WHIP_SESSION_PATH}/${session.id}`)
          .header('etag', session.etag)
          .header('cache-control', 'no-store')
          .type('application/sdp')
          .send(answerSdp);
      } catch (error) {
        if (error instanceof WhipError) return sendError(reply, error);
        throw error;
      }
    };

    scope.post('/whip/:streamName', {
      schema: { ...publishSchema('Publish a stream over WHIP (RFC 9725)', z.object({ streamName: z.string().describe('The stream name') })) },
      attachValidation: true,
    }, async (request, reply) => onPost(request, reply, (request.params as { streamName: string }).streamName));

    scope.post(WHIP_PATH, {
      schema: publishSchema('Publish over WHIP with the stream name in ?name= (encoders that take one URL)'),
      attachValidation: true,
    }, async (request, reply) => onPost(request, reply, undefined));

    scope.delete(`${WHIP_SESSION_PATH}/:id`, {
      schema: { tags: ['whip'], summary: 'End a WHIP publish and its relays', params: SessionParams, response: { 200: text('Ended'), ...errorAnswers(['NO_SESSION']) } },
    }, async (request, reply) => {
      if (!whip.delete((request.params as { id: string }).id)) return sendError(reply, new WhipError('NO_SESSION', 'No such WHIP session (ended, or never created)'));
      return reply.code(200).type('text/plain; charset=utf-8').send('Ended\n');
    });

    scope.patch(`${WHIP_SESSION_PATH}/:id`, {
      schema: { tags: ['whip'], summary: 'Trickle ICE / ICE restart: not supported (405); every candidate is in the offer and the answer', params: SessionParams, response: errorAnswers(['PATCH_NOT_SUPPORTED', 'NO_SESSION']) },
    }, async (request, reply) => {
      if (!whip.find((request.params as { id: string }).id)) return sendError(reply, new WhipError('NO_SESSION', 'No such WHIP session (ended, or never created)'));
      return sendError(
        reply,
        new WhipError('PATCH_NOT_SUPPORTED', 'Trickle ICE and ICE restarts are not supported: send every candidate in the offer (the answer has all of ours)'),
        { allow: 'DELETE, OPTIONS' },
      );
    });

    const preflight = (accept: Record<string, string>) => async (_request: FastifyRequest, reply: FastifyReply) =>
      reply.code(204).headers({ ...PREFLIGHT_HEADERS, ...accept }).send();
    scope.options(WHIP_PATH, preflight({ 'accept-post': 'application/sdp', allow: 'POST, OPTIONS' }));
    scope.options('/whip/:streamName', preflight({ 'accept-post': 'application/sdp', allow: 'POST, OPTIONS' }));
    scope.options(`${WHIP_SESSION_PATH}/:id`, preflight({ allow: 'DELETE, PATCH, OPTIONS' }));
  });
}
