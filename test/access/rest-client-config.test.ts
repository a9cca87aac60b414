/**
 * restClientConfig as the WCS docs describe it (REST hooks, "restClientConfig object
 * description"), and OVERWRITE of publishStream: which fields a backend may change.
 */
import { overwritePublish } from '../../src/access/rest-hooks/publish-overwrite';
import { RestClientConfig } from '../../src/access/rest-hooks/rest-client-config';
import type { PublishFields } from '../../src/access/session-access';

describe('RestClientConfig', () => {
  test('the docs example: ConnectionStatusEvent with every field, the others at their defaults', () => {
    const { config, problems } = RestClientConfig.parse({
      ConnectionStatusEvent: { restExclude: '', clientExclude: '', restOnError: 'LOG', restPolicy: 'NOTIFY', restOverwrite: '' },
    });
    expect(problems).toEqual([]);
    expect(config.of('ConnectionStatusEvent')).toEqual({ restExclude: new Set(), restOnError: 'LOG', restPolicy: 'NOTIFY', restOverwrite: new Set() });
    expect(config.of('publishStream')).toEqual({ restExclude: new Set(), restOnError: 'LOG', restPolicy: 'NOTIFY', restOverwrite: new Set() });
  });

  test('comma-separated lists, FAIL, OVERWRITE; DISABLED (older docs) is DISABLE', () => {
    const { config } = RestClientConfig.parse({
      publishStream: { restOnError: 'FAIL', restPolicy: 'OVERWRITE', restOverwrite: 'name, rtmpUrl', restExclude: 'custom,sdp' },
      StreamStatusEvent: { restPolicy: 'DISABLED' },
    });
    expect(config.of('publishStream').restOnError).toBe('FAIL');
    expect(config.of('publishStream').restPolicy).toBe('OVERWRITE');
    expect([...config.of('publishStream').restOverwrite]).toEqual(['name', 'rtmpUrl']);
    expect(config.of('StreamStatusEvent').restPolicy).toBe('DISABLE');
    expect(config.restrict('publishStream', { name: 'a', custom: {}, record: false })).toEqual({ name: 'a', record: false });
  });

  test('what is not understood keeps its default and is reported', () => {
    const { config, problems } = RestClientConfig.parse({ publishStream: { restOnError: 'PANIC', restPolicy: 7, restExclude: 3 }, connect: 'x' });
    expect(config.of('publishStream')).toEqual({ restExclude: new Set(), restOnError: 'LOG', restPolicy: 'NOTIFY', restOverwrite: new Set() });
    expect(problems).toEqual([
      'publishStream.restExclude: not a list',
      'publishStream.restOnError: expected LOG or FAIL',
      'publishStream.restPolicy: expected NOTIFY, OVERWRITE or DISABLE',
      'connect: not an object',
    ]);
    expect(RestClientConfig.parse('nope').problems).toEqual(['restClientConfig is not an object']);
    expect(RestClientConfig.parse(undefined)).toEqual({ config: RestClientConfig.DEFAULT, problems: [] });
  });
});

describe('overwritePublish', () => {
  const request: PublishFields = { mediaSessionId: 'm1', name: 'cam1', record: false, rtmpUrl: 'rtmp://a/live', bitrate: 1000 };

  test('only fields named in restOverwrite and given by the answer change', () => {
    const answer = { name: 'room-42', rtmpUrl: 'rtmp://b/live/KEY', record: true };
    const r = overwritePublish(request, answer, new Set(['name', 'rtmpUrl']));
    expect(r.publish).toEqual({ ...request, name: 'room-42', rtmpUrl: 'rtmp://b/live/KEY' });
    expect(r.changed).toEqual(['name', 'rtmpUrl']);
    expect(overwritePublish(request, { name: 'x' }, new Set()).publish).toEqual(request);
    expect(request.name).toBe('cam1');
  });

  test('an empty or null rtmpUrl removes the relay; 0 removes a bitrate', () => {
    const r = overwritePublish(request, { rtmpUrl: '', bitrate: 0 }, new Set(['rtmpUrl', 'bitrate']));
    expect(r.publish).toEqual({ mediaSessionId: 'm1', name: 'cam1', record: false });
    expect(overwritePublish(request, { rtmpUrl: null }, new Set(['rtmpUrl'])).publish.rtmpUrl).toBeUndefined();
  });

  test('wrong types, bad names and fields that cannot change are refused, never taken', () => {
    const answer = { name: 'bad\nname', record: 'yes', maxBitrate: -5, mediaSessionId: 'other', sdp: 'x', custom: [1] };
    const r = overwritePublish(request, answer, new Set(['name', 'record', 'maxBitrate', 'mediaSessionId', 'sdp', 'custom', '__proto__']));
    expect(r.publish).toEqual(request);
    expect(r.changed).toEqual([]);
    expect(r.refused).toEqual(['name', 'record', 'maxBitrate', 'mediaSessionId', 'sdp', 'custom']);
  });
});
