/**
 * npx tsx tools/load-publisher.ts --url ws://127.0.0.1:8080 --streams N --duration S
 *
 * A light load generator: N publishers speaking the WCS WebSocket protocol as the WebSDK
 * does, with werift as the WebRTC client, each sending a pre-encoded H.264 (720p30,
 * baseline, ~2 Mbit/s, packetization-mode=1) + Opus source in real time, looping. The
 * source is encoded once by ffmpeg and cached in the temp directory. Loopback only.
 * Prints one line of totals a second (with --quiet, only the result as JSON); exits 1
 * when a stream fails to start or ends early, 2 on a usage error.
 */
import { LoadPublisher } from './load-publisher/load-publisher';

export { LoadPublisher, type LoadPublisherOptions, type LoadPublisherStats } from './load-publisher/load-publisher';
export { LoadStream, type LoadStreamStats, type LoadStreamState } from './load-publisher/load-stream';
export { loadSource, defaultLoadSourceOptions, type LoadSource, type LoadSourceOptions } from './load-publisher/load-source';

const USAGE = `usage: npx tsx tools/load-publisher.ts --url ws://127.0.0.1:8080 --streams N --duration SECONDS [options]
  --prefix NAME        stream names are NAME1..NAMEn (default load-)
  --video-kbps K       bitrate of the encoded source (default 2000)
  --size WxH           picture size of the encoded source (default 1280x720)
  --start-interval MS  between stream starts (default 150)
  --quiet              print only the result (JSON)`;

interface CliArgs {
  url: string;
  streams: number;
  durationS: number;
  prefix: string;
  videoKbps: number;
  width: number;
  height: number;
  startIntervalMs: number;
  quiet: boolean;
}

function parseArgs(argv: string[]): CliArgs {
  const args: CliArgs = { url: '', streams: 1, durationS: 30, prefix: 'load-', videoKbps: 2000, width: 1280, height: 720, startIntervalMs: 150, quiet: false };
  const num = (flag: string, v: string | undefined): number => {
    const n = Number(v);
    if (v === undefined || !Number.isFinite(n) || n <= 0) throw new Error(`${flag} needs a positive number`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const v = argv[i + 1];
    switch (flag) {
      case '--url': if (!v) throw new Error('--url needs a value'); args.url = v; i++; break;
      case '--streams': args.streams = Math.round(num(flag, v)); i++; break;
      case '--duration': args.durationS = num(flag, v); i++; break;
      case '--prefix': if (!v) throw new Error('--prefix needs a value'); args.prefix = v; i++; break;
      case '--video-kbps': args.videoKbps = Math.round(num(flag, v)); i++; break;
      case '--size': {
        const m = /^(\d+)x(\d+)$/.exec(v ?? '');
        if (!m) throw new Error('--size needs WIDTHxHEIGHT');
        args.width = Number(m[1]);
        args.height = Number(m[2]);
        i++;
        break;
      }
      case '--start-interval': args.startIntervalMs = num(flag, v); i++; break;
      case '--quiet': args.quiet = true; break;
      case '--help': case '-h': console.log(USAGE); process.exit(0); break;
      default: throw new Error(`unknown argument "${flag}"`);
    }
  }
  if (!/^wss?:\/\//.test(args.url)) throw new Error('--url ws://HOST:PORT is required');
  return args;
}

async function main(): Promise<void> {
  let args: CliArgs;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (error) {
    console.error(`load-publisher: ${(error as Error).message}\n${USAGE}`);
    process.exit(2);
  }
  const generator = new LoadPublisher({ url: args.url, streams: args.streams, namePrefix: args.prefix, startIntervalMs: args.startIntervalMs, source: { videoKbps: args.videoKbps, width: args.width, height: args.height } });
  let failure: string | undefined;
  const stop = (reason: string): void => {
    generator.close(reason);
    clearInterval(progress);
    clearTimeout(end);
    const stats = generator.toJSON();
    if (args.quiet) console.log(JSON.stringify({ ok: !failure, failure, ...stats }));
    else console.log(`load-publisher: ${reason}; ${failure ? `FAILED: ${failure}; ` : ''}${JSON.stringify(stats.totals)}`);
    process.exit(failure ? 1 : 0);
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  generator.on('streamClosed', (name, reason) => { failure ??= `${name} ended: ${reason}`; stop('a stream ended'); });
  const started = Date.now();
  let end: NodeJS.Timeout | undefined;
  const progress = setInterval(() => {
    if (args.quiet) return;
    const s = generator.toJSON();
    console.log(`${((Date.now() - started) / 1000).toFixed(0)} s: ${s.publishing}/${args.streams} publishing, ${s.totals.videoFrames} frames, ${Math.round(s.totals.bytes / 1024)} KiB sent, max lag ${s.totals.maxLagMs} ms`);
  }, 1000);
  try {
    await generator.start();
  } catch (error) {
    failure = (error as Error).message;
    stop('start failed');
    return;
  }
  if (!args.quiet) console.log(`load-publisher: ${args.streams} streams PUBLISHING on ${args.url} (source ${generator.toJSON().videoKbps} kbit/s video)`);
  end = setTimeout(() => stop(`${args.durationS} s done`), args.durationS * 1000);
}

if (require.main === module) void main();
