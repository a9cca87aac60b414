/**
 * The WCS republishing methods, /push/*: every route declares its body and its answers
 * per status beside its handler (fastify validates the body with the zod type provider
 * before the handler runs, so bad input changes nothing), and answers like WCS: a
 * transponder or a list of them, or 200 with an empty body.
 */
import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import type { TransponderApi } from '../transponder/transponder-api';
import { RestError, type RestErrorCode } from './errors';
import { apiResponses, BODY_ERROR_CODES, emptyAnswer, type ZodFastifyInstance } from './route-schemas';
import {
  FindAllBody,
  FindBody,
  SessionBody,
  SoundOnBody,
  StartupBody,
  toTransponderJson,
  TransponderSchema,
  type TransponderJson,
} from './schemas';

/** The route paths, relative to the /rest-api prefix. */
export const PUSH_PATHS = [
  '/push/startup',
  '/push/find',
  '/push/find_all',
  '/push/terminate',
  '/push/mute',
  '/push/unmute',
  '/push/sound_on',
  '/push/sound_off',
] as const;
export type PushPath = (typeof PUSH_PATHS)[number];

export const PUSH_TAG = 'push';

const NewTransponder = TransponderSchema.describe('The new transponder, as find shows it');
const TransponderList = z.array(TransponderSchema).min(1).describe('The transponders, in the order they were created');
const Done = emptyAnswer('Done; the body is empty');

/** What a method answers with 200. */
type OkSchema = typeof TransponderSchema | typeof TransponderList | typeof Done;

interface PushRoute<B extends z.ZodType, A extends OkSchema> {
  url: PushPath;
  summary: string;
  body: B;
  ok: A;
  /** The catalogue codes the method answers besides the body and auth errors. */
  errors: readonly RestErrorCode[];
  /** Gives the 200 answer; nothing (void) for an empty body. */
  handler: (body: z.output<B>) => Promise<z.output<A> | void> | z.output<A> | void;
}

/**
 * Registers one POST route. A body that fails its schema is a 400 naming the field,
 * raised by fastify before the handler runs (rest-server.ts maps it to our error).
 */
function post<B extends z.ZodType, A extends OkSchema>(app: ZodFastifyInstance, route: PushRoute<B, A>): void {
  app.post(
    route.url,
    {
      schema: {
        tags: [PUSH_TAG],
        summary: route.summary,
        body: route.body,
        response: apiResponses({ 200: route.ok }, [...route.errors, ...BODY_ERROR_CODES]),
      },
    },
    async (request, reply: FastifyReply) => {
      // The answer's type is held to the 200 schema by PushRoute.handler (the reply is
      // untyped here: fastify's typing of it does not follow the generic schema).
      const answer = await route.handler(request.body as z.output<B>);
      if (answer === undefined) return reply.code(200).send();
      return reply.code(200).send(answer);
    },
  );
}

function nonEmpty(list: TransponderJson[], message: string): TransponderJson[] {
  if (list.length === 0) throw new RestError('TRANSPONDER_NOT_FOUND', message);
  return list;
}

/** Errors of a method that names a transponder that may have ended. */
const CHANGE_ERRORS = ['INVALID_PARAMETER', 'TRANSPONDER_NOT_FOUND', 'TRANSPONDER_ENDED'] as const satisfies readonly RestErrorCode[];
const SOUND_FILE_ERRORS = ['SOUND_FILE_NOT_FOUND', 'SOUND_FILE_OUTSIDE_MEDIA_DIR', 'BAD_SOUND_FILE'] as const satisfies readonly RestErrorCode[];

/** Adds the /push/* routes to `app` (registered under the /rest-api prefix by the server). */
export function registerPushRoutes(app: ZodFastifyInstance, api: TransponderApi): void {
  post(app, {
    url: '/push/startup',
    summary: 'Start relaying a published stream to an RTMP or RTMPS server',
    body: StartupBody,
    ok: NewTransponder,
    errors: ['INVALID_PARAMETER', 'INVALID_RTMP_URL', 'RTMP_HOST_NOT_FOUND', 'DESTINATION_REFUSED', 'STREAM_NOT_FOUND', 'TRANSPONDER_EXISTS', 'LIMIT_REACHED', 'SERVICE_STOPPING', ...SOUND_FILE_ERRORS],
    handler: async (req) => toTransponderJson(await api.startup(req)),
  });

  post(app, {
    url: '/push/find',
    summary: 'The transponders of a stream, of an rtmpUrl, or both',
    body: FindBody,
    ok: TransponderList,
    errors: ['INVALID_PARAMETER', 'TRANSPONDER_NOT_FOUND'],
    handler: async (filter) => nonEmpty((await api.find(filter)).map(toTransponderJson), 'Transponder not found'),
  });

  post(app, {
    url: '/push/find_all',
    summary: 'Every transponder, ended ones for a while included',
    body: FindAllBody,
    ok: TransponderList,
    errors: ['TRANSPONDER_NOT_FOUND'],
    handler: async () => nonEmpty((await api.findAll()).map(toTransponderJson), 'Not found any transponder'),
  });

  post(app, {
    url: '/push/terminate',
    summary: 'End a transponder (answers once it is TERMINATED; one already ended keeps its state)',
    body: SessionBody,
    ok: Done,
    errors: ['INVALID_PARAMETER', 'TRANSPONDER_NOT_FOUND'],
    handler: async ({ mediaSessionId }) => {
      await api.terminate(mediaSessionId);
    },
  });

  post(app, {
    url: '/push/mute',
    summary: 'Mute the audio of a transponder',
    body: SessionBody,
    ok: Done,
    errors: CHANGE_ERRORS,
    handler: async ({ mediaSessionId }) => {
      await api.mute(mediaSessionId);
    },
  });

  post(app, {
    url: '/push/unmute',
    summary: 'Unmute the audio of a transponder',
    body: SessionBody,
    ok: Done,
    errors: CHANGE_ERRORS,
    handler: async ({ mediaSessionId }) => {
      await api.unmute(mediaSessionId);
    },
  });

  post(app, {
    url: '/push/sound_on',
    summary: 'Mix a WAV file from the media directory into the audio of a transponder',
    body: SoundOnBody,
    ok: Done,
    errors: [...CHANGE_ERRORS, ...SOUND_FILE_ERRORS],
    handler: async ({ mediaSessionId, soundFile, loop }) => {
      await api.soundOn(mediaSessionId, soundFile, loop);
    },
  });

  post(app, {
    url: '/push/sound_off',
    summary: 'Stop the mixed-in sound of a transponder',
    body: SessionBody,
    ok: Done,
    errors: CHANGE_ERRORS,
    handler: async ({ mediaSessionId }) => {
      await api.soundOff(mediaSessionId);
    },
  });
}
