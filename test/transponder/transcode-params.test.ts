import { needsTranscoding, TranscodeParamsError, TranscodeRequest, transcodeForSource, transcodeParams } from '../../src/transponder/transcode-params';
import { StreamRegistry } from '../../src/streams/stream-registry';
import { TransponderError } from '../../src/transponder/transponder-api';
import { TransponderManager, type TransponderManagerOptions } from '../../src/transponder/transponder-manager';
import { TRANSCODE_BOUNDARIES } from './transcode-boundaries';

function catchError(fn: () => unknown): Error {
  try {
    fn();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a throw');
}
import { outputSize } from '../../src/ffmpeg/transcode-output';
import { silentLogger } from '../../src/log';

describe('transcodeParams (WCS /push/startup width, height, fps, bitrate, keyFrameInterval)', () => {
  // The WCS table: what each combination of fields does to the video.
  const table: Array<[string, TranscodeRequest, ReturnType<typeof transcodeParams>]> = [
    ['nothing set passes through', {}, undefined],
    ['width alone passes through', { width: 640 }, undefined],
    ['all zeros pass through', { width: 0, height: 0, fps: 0, bitrate: 0, keyFrameInterval: 0 }, undefined],
    ['width with height scales to both', { width: 640, height: 360 }, { width: 640, height: 360 }],
    ['height alone scales, width from the source aspect', { height: 240 }, { height: 240 }],
    ['width 0 with height is height alone', { width: 0, height: 480 }, { height: 480 }],
    ['fps alone transcodes', { fps: 15 }, { fps: 15 }],
    ['bitrate alone transcodes', { bitrate: 300 }, { bitrateKbps: 300 }],
    ['keyFrameInterval alone transcodes', { keyFrameInterval: 60 }, { keyFrameInterval: 60 }],
    ['width is ignored without height, even when another field transcodes', { width: 640, bitrate: 500 }, { bitrateKbps: 500 }],
    [
      'every field',
      { width: 854, height: 480, fps: 25, bitrate: 1200, keyFrameInterval: 50 },
      { width: 854, height: 480, fps: 25, bitrateKbps: 1200, keyFrameInterval: 50 },
    ],
    ['odd sizes round down to even (4:2:0 needs even sizes)', { width: 641, height: 361 }, { width: 640, height: 360 }],
    ['null counts as unset', { width: null, height: null, fps: null } as unknown as TranscodeRequest, undefined],
  ];

  it.each(table)('%s', (_name, request, expected) => {
    expect(transcodeParams(request)).toEqual(expected);
    expect(needsTranscoding(request)).toBe(expected !== undefined);
  });

  const invalid: Array<[keyof TranscodeRequest, unknown]> = [
    ['width', -640],
    ['width', 100_000],
    ['height', -1],
    ['height', 240.5],
    ['height', 10_000],
    ['fps', 29.97],
    ['fps', 1000],
    ['fps', -15],
    ['bitrate', -300],
    ['bitrate', 1e9],
    ['bitrate', NaN],
    ['keyFrameInterval', 0.5],
    ['keyFrameInterval', Infinity],
    ['keyFrameInterval', 1e6],
    ['height', '240'],
  ];

  it.each(invalid)('rejects %s = %p with a TranscodeParamsError naming the field', (field, value) => {
    const request = { [field]: value } as TranscodeRequest;
    const thrown = catchError(() => transcodeParams(request));
    expect(thrown).toBeInstanceOf(TranscodeParamsError);
    expect(thrown).toBeInstanceOf(RangeError);
    expect((thrown as TranscodeParamsError).field).toBe(field);
    expect((thrown as Error).message).toMatch(new RegExp(`^${field} must be an integer from \\d+ to \\d+ `));
    expect(() => needsTranscoding(request)).toThrow(TranscodeParamsError);
  });

  it('never echoes the value it refuses', () => {
    expect(catchError(() => transcodeParams({ height: 'SECRET' as unknown as number })).message).not.toContain('SECRET');
  });

  it.each(TRANSCODE_BOUNDARIES.map((b) => [b.name, b] as const))('boundary: %s', (_name, b) => {
    const request = b.request as TranscodeRequest;
    if (b.refusedField === undefined) {
      expect(() => transcodeParams(request)).not.toThrow();
    } else {
      const thrown = catchError(() => transcodeParams(request));
      expect(thrown).toBeInstanceOf(TranscodeParamsError);
      expect((thrown as TranscodeParamsError).field).toBe(b.refusedField);
    }
  });

  it('rejects an invalid width even though width alone would be ignored', () => {
    expect(catchError(() => transcodeParams({ width: -1 }))).toMatchObject({ field: 'width' });
  });
});

describe('outputSize', () => {
  it('keeps the source aspect with height alone, rounded to even: 1280x720 → 426x240', () => {
    expect(outputSize({ height: 240 }, 1280, 720)).toEqual({ width: 426, height: 240 });
    expect(outputSize({ height: 240 }, 640, 360)).toEqual({ width: 426, height: 240 });
    expect(outputSize({ height: 480 }, 640, 480)).toEqual({ width: 640, height: 480 });
    expect(outputSize({ height: 360 }, 1920, 1080)).toEqual({ width: 640, height: 360 });
    // portrait camera
    expect(outputSize({ height: 640 }, 720, 1280)).toEqual({ width: 360, height: 640 });
  });

  it('uses width and height as given when both are set, whatever the source aspect', () => {
    expect(outputSize({ width: 320, height: 240 }, 1280, 720)).toEqual({ width: 320, height: 240 });
  });

  it('keeps the source size when no size is requested', () => {
    expect(outputSize({ fps: 15 }, 1280, 720)).toEqual({ width: 1280, height: 720 });
    expect(outputSize({ bitrateKbps: 100 }, 175, 143)).toEqual({ width: 174, height: 142 });
  });

  it('never gives a zero width for an extreme aspect', () => {
    expect(outputSize({ height: 2 }, 16, 1080)).toEqual({ width: 2, height: 2 });
  });

  it('rejects a source without a size', () => {
    expect(() => outputSize({ height: 240 }, 0, 720)).toThrow(RangeError);
  });
});

describe('TransponderManager.startup refuses a bad transcode field with the field named', () => {
  let manager: TransponderManager | undefined;
  afterEach(async () => {
    await manager?.close();
    manager = undefined;
  });

  it.each([
    ['width', { width: 8193, height: 240 }],
    ['height', { height: 8193 }],
    ['fps', { fps: 121 }],
    ['bitrate', { bitrate: 100_001 }],
    ['keyFrameInterval', { keyFrameInterval: 3601 }],
    ['width', { width: 8192, height: 8192 }],
  ])('%s in %j', async (field, fields) => {
    const silent = silentLogger;
    manager = new TransponderManager(
      new StreamRegistry(silent),
      // Only what startup reads before it checks the transcode fields: these tests
      // stay about that check when the manager's other options change.
      { streamNamePrefix: 'rtmp_', fullUrl: false, mediaDir: __dirname } as TransponderManagerOptions,
      silent,
    );
    const refusal = await manager.startup({ streamName: 'cam1', rtmpUrl: 'rtmp://127.0.0.1/live', ...fields }).catch((err: unknown) => err);
    expect(refusal).toBeInstanceOf(TransponderError);
    expect(refusal).toMatchObject({ code: 'INVALID_PARAMETER', field });
  });
});

describe('transcoding a source that does not send H.264', () => {
  it('transcodes VP8 and VP9 with the defaults when the request sets nothing', () => {
    expect(transcodeForSource(undefined, 'vp8')).toEqual({});
    expect(transcodeForSource(undefined, 'vp9')).toEqual({});
  });

  it('keeps the request parameters for VP8', () => {
    expect(transcodeForSource({ height: 360, bitrateKbps: 800 }, 'vp8')).toEqual({ height: 360, bitrateKbps: 800 });
  });

  it('passes H.264 (and a source without video) through when nothing is asked', () => {
    expect(transcodeForSource(undefined, 'h264')).toBeUndefined();
    expect(transcodeForSource(undefined, undefined)).toBeUndefined();
  });
});
