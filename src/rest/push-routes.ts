/**
 * The WCS republishing methods, /push/*: every route names its body schema beside its
 * handler, validates before it touches the transponder layer (bad input changes nothing),
 * and answers like WCS: a transponder or a list of them, or 200 with an empty body.
 */
import type { FastifyInstance } from 'fastify';
import type { z } from 'zod';
import type { TransponderApi } from '../transponder/transponder-api';
import { RestError } from './errors';
import {
  FindAllBody,
  FindBody,
  SessionBody,
  SoundOnBody,
  StartupBody,
  parseBody,
  toTransponderJson,
  type TransponderJson,
} from './schemas';

/** What a handler gives back: a body to send as JSON, or nothing for an empty 200. */
type Answer = TransponderJson | TransponderJson[] | void;

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

/**
 * Registers one POST route whose body is parsed with `schema`; a failed parse is a 400
 * naming the field, raised before the handler runs.
 */
function post<S extends z.ZodType>(
  app: FastifyInstance,
  url: PushPath,
  schema: S,
  handler: (body: z.output<S>) => Promise<Answer> | Answer,
): void {
  app.post(url, async (request, reply) => {
    const body = parseBody(schema, request.body);
    const answer = await handler(body);
    if (answer === undefined) return reply.code(200).send();
    return reply.code(200).send(answer);
  });
}

function nonEmpty(list: TransponderJson[], message: string): TransponderJson[] {
  if (list.length === 0) throw new RestError('TRANSPONDER_NOT_FOUND', message);
  return list;
}

/** Adds the /push/* routes to `app` (registered under the /rest-api prefix by the server). */
export function registerPushRoutes(app: FastifyInstance, api: TransponderApi): void {
  post(app, '/push/startup', StartupBody, async (req) => toTransponderJson(await api.startup(req)));

  post(app, '/push/find', FindBody, (filter) => nonEmpty(api.find(filter).map(toTransponderJson), 'Transponder not found'));

  post(app, '/push/find_all', FindAllBody, () => nonEmpty(api.findAll().map(toTransponderJson), 'Not found any transponder'));

  post(app, '/push/terminate', SessionBody, async ({ mediaSessionId }) => {
    await api.terminate(mediaSessionId);
  });

  post(app, '/push/mute', SessionBody, ({ mediaSessionId }) => {
    api.mute(mediaSessionId);
  });

  post(app, '/push/unmute', SessionBody, ({ mediaSessionId }) => {
    api.unmute(mediaSessionId);
  });

  post(app, '/push/sound_on', SoundOnBody, async ({ mediaSessionId, soundFile, loop }) => {
    await api.soundOn(mediaSessionId, soundFile, loop);
  });

  post(app, '/push/sound_off', SessionBody, ({ mediaSessionId }) => {
    api.soundOff(mediaSessionId);
  });
}
