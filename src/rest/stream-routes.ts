/**
 * The WCS stream methods, /stream/find, /stream/find_all and /stream/terminate: what is
 * published here, filtered as WCS filters, and ending publishes. Like the push routes,
 * each declares its body and its answers per status beside its handler; nothing found is
 * a 404, as WCS answers.
 */
import { z } from 'zod';
import type { StreamApi } from '../streams/stream-api';
import { RestError } from './errors';
import { apiResponses, BODY_ERROR_CODES, emptyAnswer, type ZodFastifyInstance } from './route-schemas';
import { matchesStreamFilter, StreamFindAllBody, StreamFindBody, StreamSchema, StreamTerminateBody, toStreamJson, type StreamJson } from './stream-schemas';

/** The route paths, relative to the /rest-api prefix. */
export const STREAM_PATHS = ['/stream/find', '/stream/find_all', '/stream/terminate'] as const;
export type StreamPath = (typeof STREAM_PATHS)[number];

export const STREAM_TAG = 'stream';

const StreamList = z.array(StreamSchema).min(1).describe('The streams, in the order they started publishing');
const Terminated = emptyAnswer('The publishes are ending: each page is told UNPUBLISHED "Stopped by rest /terminate"; their transponders are TERMINATED');

function nonEmpty(list: StreamJson[], message: string): StreamJson[] {
  if (list.length === 0) throw new RestError('STREAM_NOT_FOUND', message);
  return list;
}

/** Adds the /stream/* routes to `app` (registered under the /rest-api prefix by the server). */
export function registerStreamRoutes(app: ZodFastifyInstance, api: StreamApi): void {
  app.post(
    '/stream/find',
    {
      schema: {
        tags: [STREAM_TAG],
        summary: 'The published streams that match every filter given',
        body: StreamFindBody,
        response: apiResponses({ 200: StreamList }, ['INVALID_PARAMETER', 'STREAM_NOT_FOUND', ...BODY_ERROR_CODES]),
      },
    },
    async (request) => {
      const { filter, metrics } = request.body;
      return nonEmpty(
        api.list().filter((s) => matchesStreamFilter(s, filter)).map((s) => toStreamJson(s, metrics)),
        'Stream not found',
      );
    },
  );

  app.post(
    '/stream/find_all',
    {
      schema: {
        tags: [STREAM_TAG],
        summary: 'Every published stream',
        body: StreamFindAllBody,
        response: apiResponses({ 200: StreamList }, ['INVALID_PARAMETER', 'STREAM_NOT_FOUND', ...BODY_ERROR_CODES]),
      },
    },
    async (request) => nonEmpty(api.list().map((s) => toStreamJson(s, request.body.metrics)), 'Not found any stream'),
  );

  app.post(
    '/stream/terminate',
    {
      schema: {
        tags: [STREAM_TAG],
        summary: 'End the publishes that match every filter given (no filter: every stream, as WCS)',
        body: StreamTerminateBody,
        response: apiResponses({ 200: Terminated }, ['INVALID_PARAMETER', 'STREAM_NOT_FOUND', ...BODY_ERROR_CODES]),
      },
    },
    async (request, reply) => {
      const ids = api.list().filter((s) => matchesStreamFilter(s, request.body)).map((s) => s.mediaSessionId);
      // A stream that ended between the two reads is not ours to report as terminated.
      if (ids.length === 0 || api.terminate(ids) === 0) throw new RestError('STREAM_NOT_FOUND', 'Stream not found');
      return reply.code(200).send();
    },
  );
}
