/**
 * The flags node is started with, for the service: `npm start`, `npm run start:prod`, the
 * Docker image's CMD and the benchmarks' service all pass them (test/node-flags.test.ts
 * holds each of those to this list). V8 reads them when it creates the heap: they cannot
 * be set from inside the running program.
 *
 * --max-semi-space-size=32: the young generation may grow to two 32 MiB semi-spaces
 * (Node 20's default is 16). A relay's packets and frames live just long enough (a jitter
 * buffer's wait, a frame's assembly) to survive a scavenge when scavenges come often; V8
 * then allocates them straight into the old generation (allocation-site pretenuring),
 * which filled and was marked and compacted every 1.5 s with 4 streams (`--trace-gc`: 11
 * mark-compacts in 30 s; none with this flag, and half the scavenges). Measured with 4
 * streams, per stream, in % of a core:
 *   - `npx tsx bench/threads.ts --streams 4 --seconds 60 [--node-args '']`, 2 interleaved
 *     rounds: 3.11–3.37 with it, 3.85–3.87 without; V8's marking threads 0.25 instead of 0.8.
 *   - `npx tsx bench/streams.ts --no-chromium --counts 4,8 --rounds 2 [--node-args '']`:
 *     3.07–3.43 at 4 streams with it, 3.95–4.13 without (3 rounds).
 * The cost is RSS: a bigger young generation, about 45 MiB more at 4 streams and 70 at 8.
 * `--no-allocation-site-pretenuring` alone also stopped the mark-compacts in bench/threads
 * (3.18–3.24) but not in bench/streams (3.90–4.26), and did not add to this flag there.
 */
export const NODE_FLAGS: readonly string[] = ['--max-semi-space-size=32'];
