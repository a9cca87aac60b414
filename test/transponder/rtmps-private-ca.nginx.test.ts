/**
 * rtmps:// to a private server: nginx-rtmp behind a TLS front whose certificate is signed
 * by a CA made at setup (openssl), unknown to the system. Settings are read from text as
 * the service reads its file, mapped to options by src/server-options.ts, and a manager
 * pushes with them: without the CA the push fails on the certificate, with
 * rtmp_push_ca_file it publishes, with rtmp_push_tls_verify=false it publishes and every
 * push logs a warning. Runs on loopback (npm test puts it in its own network namespace).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseSettings } from '../../src/config';
import type { Logger } from '../../src/log';
import { transponderManagerOptionsFrom } from '../../src/server-options';
import { TransponderManager, type StreamDirectory } from '../../src/transponder/transponder-manager';
import type { TransponderInfo } from '../../src/transponder/transponder-api';
import { NginxRtmp } from '../helpers/nginx-rtmp';
import { waitForValue } from '../helpers/wait-for';
import { MemoryLogger } from '../helpers/memory-logger';
import { QuietSource } from '../helpers/quiet-source';

jest.setTimeout(60_000);

const ENDED = new Set(['TERMINATED', 'FAILED']);
const directory: StreamDirectory = { get: (name) => (name === 'cam1' ? new QuietSource('cam1') : undefined), on: () => undefined };

let nginx: NginxRtmp;
let dir: string;
/** The CA that signed nginx's certificate. */
let privateCa: string;
/** Another CA, trusted for nothing here. */
let unrelatedCa: string;
let manager: TransponderManager | undefined;
const savedExtraCerts = process.env.NODE_EXTRA_CA_CERTS;

beforeAll(async () => {
  nginx = await NginxRtmp.start({ tls: true });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rtmps-ca-'));
  privateCa = path.join(dir, 'private-ca.pem');
  fs.writeFileSync(privateCa, nginx.tlsMaterial!.caCert);
  unrelatedCa = path.join(dir, 'unrelated-ca.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', path.join(dir, 'unrelated.key'), '-out', unrelatedCa, '-days', '2', '-subj', '/CN=unrelated test CA'], { stdio: 'pipe' });
});

afterEach(async () => {
  await manager?.close();
  manager = undefined;
  if (savedExtraCerts === undefined) delete process.env.NODE_EXTRA_CA_CERTS;
  else process.env.NODE_EXTRA_CA_CERTS = savedExtraCerts;
});

afterAll(async () => {
  await nginx.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Pushes cam1 to nginx's rtmps front with the settings in `text`; resolves once it publishes or ends. */
async function pushWith(text: string, log: Logger = new MemoryLogger()): Promise<TransponderInfo> {
  const { settings } = parseSettings(text, 'test.properties');
  manager = new TransponderManager(directory, transponderManagerOptionsFrom(settings), log);
  const { mediaSessionId } = await manager.startup({ streamName: 'cam1', rtmpUrl: `${nginx.tlsUrl('live')}/SECRETKEY`, rtmpTransponderFullUrl: true });
  return waitForValue(() => {
    const t = manager!.findAll().find((x) => x.mediaSessionId === mediaSessionId);
    return t && (t.status === 'PUBLISHING' || ENDED.has(t.status)) ? t : undefined;
  }, { what: 'the push publishing or ended', timeoutMs: 20_000 });
}

function publishesAtNginx(): number {
  return nginx.hooks.calls.filter((c) => c.call === 'publish' && c.params.name === 'SECRETKEY').length;
}

describe('rtmps:// to a server with a private CA', () => {
  it('without the CA the push fails with a certificate reason', async () => {
    const before = publishesAtNginx();
    const t = await pushWith('');
    expect(t.status).toBe('FAILED');
    expect(t.reason).toMatch(/TLS certificate is not trusted/);
    expect(publishesAtNginx()).toBe(before);
  });

  it('with rtmp_push_ca_file it publishes', async () => {
    const before = publishesAtNginx();
    const t = await pushWith(`rtmp_push_ca_file=${privateCa}\n`);
    expect(t).toMatchObject({ status: 'PUBLISHING' });
    expect(publishesAtNginx()).toBe(before + 1);
  });

  it('the certificates of NODE_EXTRA_CA_CERTS stay trusted when rtmp_push_ca_file is set', async () => {
    process.env.NODE_EXTRA_CA_CERTS = privateCa;
    const t = await pushWith(`rtmp_push_ca_file=${unrelatedCa}\n`);
    expect(t).toMatchObject({ status: 'PUBLISHING' });
  });

  it('a CA file that is missing or holds no certificate is refused with its line', () => {
    const notPem = path.join(dir, 'not-a-cert.txt');
    fs.writeFileSync(notPem, 'hello');
    expect(() => parseSettings(`# ca\nrtmp_push_ca_file=${path.join(dir, 'missing.pem')}`, 'test.properties')).toThrow(
      `test.properties:2: rtmp_push_ca_file = "${path.join(dir, 'missing.pem')}": expected a readable PEM file with at least one certificate: no such file`,
    );
    expect(() => parseSettings(`rtmp_push_ca_file=${notPem}`, 'test.properties')).toThrow(/no "BEGIN CERTIFICATE" block/);
  });

  it('rtmp_push_tls_verify=false publishes without the CA and warns at every push, without the key', async () => {
    const log = new MemoryLogger();
    const t = await pushWith('rtmp_push_tls_verify=false\n', log);
    expect(t).toMatchObject({ status: 'PUBLISHING' });
    await manager!.startup({ streamName: 'cam1', rtmpUrl: `${nginx.tlsUrl('other')}/SECRETKEY`, rtmpTransponderFullUrl: true });
    const warnings = log.lines.filter((l) => l.level === 'warn' && /certificate NOT verified/.test(l.msg));
    expect(warnings).toHaveLength(2);
    expect(JSON.stringify(log.lines)).not.toMatch(/SECRETKEY/);
  });
});
