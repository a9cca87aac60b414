import { exposureWarning, isLoopbackBindAddress } from '../../src/access/exposure-warning';

describe('exposureWarning: a server open to the network with nothing guarding it', () => {
  test.each([
    [true, false, false, true],
    [true, true, false, false],
    [true, false, true, false],
    [true, true, true, false],
    [false, false, false, false],
    [false, true, true, false],
  ])('beyond loopback %s, REST auth %s, publish auth %s → warns %s', (listensBeyondLoopback, restAuth, publishAuth, warns) => {
    const text = exposureWarning({ listensBeyondLoopback, restAuth, publishAuth });
    expect(text !== undefined).toBe(warns);
  });

  test('the warning names the settings that fix it and the README section', () => {
    const text = exposureWarning({ listensBeyondLoopback: true, restAuth: false, publishAuth: false })!;
    for (const word of ['disable_rest_auth', 'rest_hook_url', 'publish_token', 'Securing a public server']) expect(text).toContain(word);
  });
});

describe('isLoopbackBindAddress', () => {
  test.each([
    ['127.0.0.1', true],
    ['127.1.2.3', true],
    ['::1', true],
    ['localhost', true],
    ['::ffff:127.0.0.1', true],
    ['0.0.0.0', false],
    ['::', false],
    ['192.168.1.10', false],
    ['2001:db8::1', false],
  ])('%s → %s', (address, loopback) => {
    expect(isLoopbackBindAddress(address)).toBe(loopback);
  });
});
