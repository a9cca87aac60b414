/**
 * A body refused by its route's schema: fastify validates it with the zod type provider
 * and the error handler turns the provider's issues into our 400. The messages are the
 * ones the API gave when the routes parsed bodies themselves (recorded from that code),
 * and a parse by hand (`parseBody`) says the same.
 */
import { parseBody, SessionBody, SoundOnBody, StartupBody, FindBody, toErrorReply } from '../../src/rest';
import { makeServer, postJson, type Harness } from './fake-transponder-api';

const URL = 'rtmp://h/live';

const REFUSED: Array<[string, string, Record<string, unknown>, string, string, string]> = [
  // [route, what, body, code, field, message]
  ['/push/startup', 'a number for a string', { streamName: 7, rtmpUrl: URL }, 'INVALID_PARAMETER', 'streamName', 'streamName must be a string, not a number'],
  ['/push/startup', 'a string too long', { streamName: 'x'.repeat(257), rtmpUrl: URL }, 'INVALID_PARAMETER', 'streamName', 'streamName must have at most 256 characters'],
  ['/push/startup', 'a control character', { streamName: 'a\nb', rtmpUrl: URL }, 'INVALID_PARAMETER', 'streamName', 'streamName contains control characters'],
  ['/push/startup', 'an unknown action', { streamName: 'c', rtmpUrl: URL, options: { action: 'dance' } }, 'INVALID_PARAMETER', 'options.action', 'options.action must be one of "mute", "sound_on"'],
  ['/push/startup', 'an array for an object', { streamName: 'c', rtmpUrl: URL, options: [] }, 'INVALID_PARAMETER', 'options', 'options must be an object, not an array'],
  ['/push/startup', 'sound_on without a file', { streamName: 'c', rtmpUrl: URL, options: { action: 'sound_on' } }, 'INVALID_PARAMETER', 'options.soundFile', 'options.soundFile is required when options.action is "sound_on"'],
  ['/push/startup', 'a nested wrong type', { streamName: 'c', rtmpUrl: URL, options: { action: 'sound_on', soundFile: 'a.wav', loop: 'yes' } }, 'INVALID_PARAMETER', 'options.loop', 'options.loop must be a boolean, not a string'],
  ['/push/startup', 'a width out of bounds', { streamName: 'c', rtmpUrl: URL, width: 8193 }, 'INVALID_PARAMETER', 'width', 'width must be an integer from 2 to 8192 pixels (or 0 for unset)'],
  ['/push/startup', 'a picture too large', { streamName: 'c', rtmpUrl: URL, width: 8192, height: 8192 }, 'INVALID_PARAMETER', 'width', 'width x height must fit an H.264 picture of at most 139264 macroblocks (level 6.2, e.g. 8192x4320)'],
  ['/push/startup', 'a string for a number', { streamName: 'c', rtmpUrl: URL, fps: '30' }, 'INVALID_PARAMETER', 'fps', 'fps must be a number, not a string'],
  ['/push/startup', 'a string for a boolean', { streamName: 'c', rtmpUrl: URL, rtmpTransponderFullUrl: 'true' }, 'INVALID_PARAMETER', 'rtmpTransponderFullUrl', 'rtmpTransponderFullUrl must be a boolean, not a string'],
  ['/push/startup', 'a number for rtmpUrl', { streamName: 'c', rtmpUrl: 42 }, 'INVALID_RTMP_URL', 'rtmpUrl', 'rtmpUrl must be a string, not a number'],
  ['/push/startup', 'an empty rtmpUrl', { streamName: 'c', rtmpUrl: '' }, 'INVALID_RTMP_URL', 'rtmpUrl', 'rtmpUrl must not be empty'],
  ['/push/startup', 'another scheme', { streamName: 'c', rtmpUrl: 'http://h/live' }, 'INVALID_RTMP_URL', 'rtmpUrl', 'rtmpUrl scheme "http" is not supported: use rtmp:// or rtmps://'],
  ['/push/startup', 'nothing', {}, 'INVALID_PARAMETER', 'streamName', 'streamName is required'],
  ['/push/find', 'an array for a string', { streamName: ['cam1'] }, 'INVALID_PARAMETER', 'streamName', 'streamName must be a string, not an array'],
  ['/push/sound_on', 'a string for a boolean', { mediaSessionId: 's', soundFile: 'a.wav', loop: 'true' }, 'INVALID_PARAMETER', 'loop', 'loop must be a boolean, not a string'],
  ['/push/sound_on', 'an empty file name', { mediaSessionId: 's', soundFile: '' }, 'INVALID_PARAMETER', 'soundFile', 'soundFile must not be empty'],
  ['/push/terminate', 'null for a string', { mediaSessionId: null }, 'INVALID_PARAMETER', 'mediaSessionId', 'mediaSessionId must be a string, not null'],
];

const SCHEMAS = { '/push/startup': StartupBody, '/push/find': FindBody, '/push/sound_on': SoundOnBody, '/push/terminate': SessionBody } as const;

let h: Harness;
beforeEach(() => {
  h = makeServer();
});
afterEach(async () => {
  await h.app.close();
});

describe('a body its route refuses', () => {
  test.each(REFUSED)('%s with %s: a 400 naming the field, and nothing is called', async (route, _what, body, code, field, message) => {
    const res = await postJson(h.app, route, body);
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({ error: 'Bad Request', code, message, field });
    expect(h.api.calls).toEqual([]);
  });

  test.each(REFUSED)('%s with %s: parseBody gives the same answer', (route, _what, body, code, field, message) => {
    let thrown: unknown;
    try {
      parseBody(SCHEMAS[route as keyof typeof SCHEMAS], body);
    } catch (err) {
      thrown = err;
    }
    expect(toErrorReply(thrown).body).toEqual({ error: 'Bad Request', code, message, field });
  });
});
