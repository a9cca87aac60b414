/**
 * POST /rest-api/settings/reload [extension]: re-reads the properties file the service
 * was started with, as SIGHUP does. Behind the REST credentials (it is registered under
 * /rest-api). 200 tells what was applied and what waits for a restart; 422 gives every
 * problem of an invalid file (file:line, as at start) and nothing changed.
 */
import { z } from 'zod';
import { ERROR_CATALOGUE, reasonPhrase, RestError } from './errors';
import { apiResponses, BODY_ERROR_CODES, type ZodFastifyInstance } from './route-schemas';

export const SETTINGS_RELOAD_PATH = '/settings/reload';

/** No fields: an empty body, `{}`, or fields we ignore (as the WCS routes do). */
export const ReloadBody = z.object({});

const SettingChangeJson = z.object({
  key: z.string(),
  /** Values as in the log: secrets `***`, RTMP URLs without key or password. */
  from: z.string(),
  to: z.string(),
});

export const ReloadAnswer = z.object({
  file: z.string(),
  /** Changed settings now in force. */
  applied: z.array(SettingChangeJson),
  /** Changed settings that take effect at the next start; their running values stay. */
  restartRequired: z.array(SettingChangeJson),
  warnings: z.array(z.string()),
});
export type ReloadAnswer = z.infer<typeof ReloadAnswer>;

export const ReloadRefused = z.object({
  error: z.string(),
  code: z.literal('SETTINGS_INVALID'),
  message: z.string(),
  /** One line per problem: `file:line: key = "value": expected …`. */
  problems: z.array(z.string()),
});
export type ReloadRefused = z.infer<typeof ReloadRefused>;

/** What the route needs of the service: a reload that resolves, or rejects with the file's problems. */
export interface SettingsReloadPort {
  /** undefined: no settings file to re-read. */
  reload: (() => Promise<ReloadAnswer>) | undefined;
  /** Recognizes a refused file and gives its problems; other errors are unexpected (500). */
  problemsOf(err: unknown): readonly string[] | undefined;
}

export function registerSettingsRoutes(rest: ZodFastifyInstance, port: SettingsReloadPort): void {
  rest.post(SETTINGS_RELOAD_PATH, {
    schema: {
      tags: ['settings'],
      summary: 'Re-read the properties file (as SIGHUP): apply what can change live, list what needs a restart',
      body: ReloadBody,
      response: apiResponses(
        { 200: ReloadAnswer.describe('Applied; what needs a restart is listed'), 422: ReloadRefused.describe('The file is invalid: nothing changed') },
        ['RELOAD_UNAVAILABLE', ...BODY_ERROR_CODES],
      ),
    },
  }, async (_request, reply) => {
    if (port.reload === undefined) throw new RestError('RELOAD_UNAVAILABLE');
    try {
      const answer: ReloadAnswer = ReloadAnswer.parse(await port.reload());
      return reply.code(200).send(answer);
    } catch (err) {
      const problems = port.problemsOf(err);
      if (problems === undefined) throw err;
      const status = ERROR_CATALOGUE.SETTINGS_INVALID.status as 422;
      const body: ReloadRefused = {
        error: reasonPhrase(status),
        code: 'SETTINGS_INVALID',
        message: `${ERROR_CATALOGUE.SETTINGS_INVALID.message}: ${problems.join('; ')}`,
        problems: [...problems],
      };
      return reply.code(status).send(body);
    }
  });
}
