/**
 * npm run push -- FILE.flv RTMP_URL [options]
 *
 * Pushes an FLV file to an RTMP/RTMPS server through our publisher, paced in real
 * time: check that a destination and its key work before going live. Prints the
 * time to NetStream.Publish.Start, then progress; exits 1 with the server's reason
 * when the push is refused or lost, 2 on a usage error.
 */
import fs from 'node:fs';
import { FlvFilePusher } from './flv-file-pusher';
import { redactRtmpUrl } from '../src/rtmp/rtmp-url';
import { RestorePolicy } from '../src/transponder/restore-policy';

const USAGE = `usage: npm run push -- FILE.flv RTMP_URL [options]
  RTMP_URL            rtmp[s]://[user:pass@]host[:port]/app/STREAM_KEY (the last element is the stream name)
  --name NAME         publish NAME and use the whole URL path as the application
  --loop              start the file again at its end (with --duration)
  --duration SECONDS  stop after this much media
  --restore N         restore a lost push up to N times (-1: forever), every --restore-interval ms
  --restore-interval MS   default 5000
  --flash-ver TEXT    flashVer sent in connect
  --ca FILE           trust this CA certificate (PEM) for rtmps://
  --insecure          do not verify the rtmps:// server certificate
  --no-metadata       do not send onMetaData
  --quiet             print only the result`;

interface Args {
  file: string;
  url: string;
  name?: string;
  loop: boolean;
  durationMs?: number;
  restore: number;
  restoreIntervalMs: number;
  flashVer?: string;
  ca?: string;
  insecure: boolean;
  metadata: boolean;
  quiet: boolean;
}

function parseArgs(argv: string[]): Args {
  const positional: string[] = [];
  const args: Partial<Args> = { loop: false, restore: 0, restoreIntervalMs: 5000, insecure: false, metadata: true, quiet: false };
  const value = (i: number, flag: string): string => {
    const v = argv[i + 1];
    if (v === undefined) throw new Error(`${flag} needs a value`);
    return v;
  };
  const number = (text: string, flag: string): number => {
    const n = Number(text);
    if (!Number.isFinite(n)) throw new Error(`${flag} needs a number, got "${text}"`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    switch (a) {
      case '--name': args.name = value(i++, a); break;
      case '--loop': args.loop = true; break;
      case '--duration': args.durationMs = number(value(i++, a), a) * 1000; break;
      case '--restore': args.restore = number(value(i++, a), a); break;
      case '--restore-interval': args.restoreIntervalMs = number(value(i++, a), a); break;
      case '--flash-ver': args.flashVer = value(i++, a); break;
      case '--ca': args.ca = value(i++, a); break;
      case '--insecure': args.insecure = true; break;
      case '--no-metadata': args.metadata = false; break;
      case '--quiet': args.quiet = true; break;
      case '-h': case '--help': console.log(USAGE); process.exit(0); break;
      default:
        if (a.startsWith('--')) throw new Error(`unknown option ${a}`);
        positional.push(a);
    }
  }
  if (positional.length !== 2) throw new Error('give FILE.flv and RTMP_URL');
  return { ...(args as Args), file: positional[0], url: positional[1] };
}

async function main(): Promise<number> {
  let args: Args;
  try {
    args = parseArgs(process.argv.slice(2));
    if (!fs.existsSync(args.file)) throw new Error(`no such file: ${args.file}`);
  } catch (err) {
    console.error(`push: ${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  const say = (line: string): void => {
    if (!args.quiet) console.log(line);
  };
  let pusher: FlvFilePusher;
  try {
    pusher = new FlvFilePusher({
      file: args.file,
      loop: args.loop,
      durationMs: args.durationMs,
      publisher: {
        url: args.url,
        naming: args.name !== undefined ? { fullUrl: false, streamName: args.name, prefix: '' } : { fullUrl: true },
        flashVersion: args.flashVer,
        sendMetadata: args.metadata,
        hasVideo: true,
        tls: { ca: args.ca ? fs.readFileSync(args.ca) : undefined, rejectUnauthorized: !args.insecure },
      },
      restore: new RestorePolicy({ enabled: args.restore !== 0, attempts: args.restore, intervalMs: args.restoreIntervalMs }),
    });
  } catch (err) {
    console.error(`push: ${(err as Error).message}`);
    return 2;
  }
  const publisher = pusher.push;
  say(`push: connecting to ${redactRtmpUrl(args.url)}`);
  // The operator's own tool: it prints the detail behind each failure class (the socket
  // error, the server's description), which the service keeps for its log.
  const withDetail = (reason: string, detail: string | undefined): string => (detail && detail !== reason ? `${reason} (${detail})` : reason);
  publisher.on('state', (state, reason, detail) => {
    if (state === 'RESTORING' || (state === 'PUBLISHING' && reason !== 'NetStream.Publish.Start')) say(`push: ${state.toLowerCase()}: ${withDetail(reason, detail)}`);
  });
  const progress = setInterval(() => {
    const s = publisher.toJSON();
    say(`push: ${(pusher.mediaMs / 1000).toFixed(1)} s sent, ${(s.bytesSent / 1e6).toFixed(1)} MB, ${s.bitrateKbps} kbit/s, dropped ${s.videoFramesDropped} video frames`);
  }, 1000);
  const onSignal = (): void => void pusher.stop('interrupted');
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    await pusher.run((ms) => say(`push: NetStream.Publish.Start after ${ms} ms`));
    const failed = publisher.state === 'FAILED';
    await pusher.stop('end of file');
    if (failed) throw new Error(withDetail(publisher.toJSON().lastError ?? 'push failed', publisher.lastErrorDetail));
    const s = publisher.toJSON();
    console.log(`push: done: ${(pusher.mediaMs / 1000).toFixed(1)} s of media, ${s.bytesSent} bytes, ${s.videoFramesSent} video and ${s.audioFramesSent} audio frames, ${s.videoFramesDropped} dropped`);
    return 0;
  } catch (err) {
    console.error(`push: failed: ${(err as Error).message}`);
    await pusher.stop('failed');
    return 1;
  } finally {
    clearInterval(progress);
  }
}

main().then((code) => process.exit(code));
