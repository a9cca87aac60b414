/**
 * npm run bench [-- --quick] [-- egress ingest relay pipeline streams hooks playback vpx-transcode cluster idle-memory]
 *
 * Runs the benchmarks in a private network namespace (loopback only) and prints one
 * markdown report. Figures go into closing notes; nothing here is asserted.
 */
import { reexecIsolatedOrContinue, networkIsolated } from './lib/netns';
import { renderSection, type BenchSection } from './lib/report';
import { runClusterBench } from './cluster';
import { runEgressBench } from './egress';
import { runHooksBench } from './hooks';
import { runIdleMemoryBench } from './idle-memory';
import { runIngestBench } from './ingest';
import { runPipelineBench } from './pipeline';
import { runPlaybackBench } from './playback';
import { runRelayBench } from './relay';
import { runStreamsBench } from './streams';
import { runVpxTranscodeBench } from './vpx-transcode';

type Bench = (opts: { quick?: boolean }) => Promise<BenchSection>;

const BENCHES: Record<string, Bench> = {
  egress: runEgressBench,
  ingest: runIngestBench,
  relay: runRelayBench,
  pipeline: runPipelineBench,
  streams: runStreamsBench,
  hooks: runHooksBench,
  playback: runPlaybackBench,
  'vpx-transcode': runVpxTranscodeBench,
  cluster: runClusterBench,
  'idle-memory': runIdleMemoryBench,
};

async function main(): Promise<void> {
  reexecIsolatedOrContinue();
  const args = process.argv.slice(2);
  const quick = args.includes('--quick');
  const names = args.filter((a) => !a.startsWith('--'));
  const chosen = names.length > 0 ? names : Object.keys(BENCHES);
  for (const name of chosen) if (!BENCHES[name]) throw new Error(`unknown benchmark "${name}" (${Object.keys(BENCHES).join(', ')})`);
  console.log(`# rtmp-transponder benchmark${quick ? ' (quick)' : ''}\n`);
  console.log(`node ${process.version}, ${require('node:os').cpus().length} cores, ${networkIsolated() ? 'private network namespace' : 'host loopback'}\n`);
  for (const name of chosen) {
    const started = Date.now();
    const section = await BENCHES[name]({ quick });
    console.log(renderSection(section));
    console.log(`(${name}: ${((Date.now() - started) / 1000).toFixed(0)} s)\n`);
  }
}

main().catch((err: Error) => {
  console.error(err);
  process.exit(1);
});
