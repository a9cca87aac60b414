/**
 * The flags node is started with, for the service: `npm start`, `npm run start:prod`, the
 * Docker image's CMD and the benchmarks' service all pass them (test/node-flags.test.ts
 * holds each of those to this list). A flag that V8 reads when the heap is created cannot
 * be set from inside the running program.
 *
 * --max-semi-space-size=32: the young generation may grow to two 32 MiB semi-spaces
 * (Node 20's default is 16). A relaying service allocates a buffer or more per packet,
 * and much of it lives for a jitter buffer's or a frame's time: with the default, that
 * survives two scavenges often enough to be promoted, and the old generation fills and
 * is marked again and again. Measured with 4 streams (`npx tsx bench/threads.ts --streams 4
 * --seconds 60 --node-args ''`, 2 interleaved rounds): V8's marking threads went from
 * 0.77–0.80 % of a core per stream to 0.25, and the whole relay from 3.85–3.87 % to
 * 3.11–3.23 (64 MiB: 3.24–3.37).
 */
export const NODE_FLAGS: readonly string[] = ['--max-semi-space-size=32'];
