/** Settings for a service under test: the defaults, on free loopback ports, announcing 127.0.0.1 only. */
import { defaultSettings, type Settings } from '../../src/config';
import { freePort } from './nginx-rtmp';

export async function loopbackSettings(overrides: Partial<Settings> = {}): Promise<Settings> {
  return {
    ...defaultSettings(),
    httpPort: await freePort(),
    wsPort: await freePort(),
    bindAddress: '127.0.0.1',
    ip: '127.0.0.1',
    ipLocal: '127.0.0.1',
    ...overrides,
  };
}
