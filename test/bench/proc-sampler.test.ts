import { spawn, type ChildProcess } from 'node:child_process';
import { ProcessSampler, pssKib, rssKib } from '../../bench/lib/proc-sampler';
import { waitFor } from '../helpers/wait-for';

const children: ChildProcess[] = [];
let sampler: ProcessSampler | undefined;

afterEach(() => {
  sampler?.stop();
  sampler = undefined;
  for (const c of children.splice(0)) c.kill('SIGKILL');
});

describe('proc-sampler memory', () => {
  test('PSS of a process is positive and at most its RSS; a gone process has none', () => {
    const pss = pssKib(process.pid);
    expect(pss).toBeGreaterThan(0);
    expect(pss!).toBeLessThanOrEqual(rssKib(process.pid));
    expect(pssKib(2 ** 22 + 1)).toBeUndefined(); // above pid_max's ceiling: never a process
  });

  test('the sampler sums PSS over the tree next to RSS, below RSS where pages are shared', async () => {
    // two children of one binary share its pages (and libc with us): RSS counts them per process, PSS divides them
    for (let i = 0; i < 2; i++) children.push(spawn('sleep', ['30'], { stdio: 'ignore' }));
    sampler = new ProcessSampler(process.pid, { intervalMs: 50 });
    sampler.start();
    await waitFor(() => sampler!.samples.length >= 2, { timeoutMs: 5000, what: 'two samples' });
    for (const s of sampler.samples) {
      expect(s.pssMiB).toBeGreaterThan(0);
      expect(s.pssMiB!).toBeLessThan(s.rssMiB);
    }
    const summary = sampler.summary();
    expect(summary.pssMeanMiB).toBeGreaterThan(0);
    expect(summary.pssMaxMiB!).toBeGreaterThanOrEqual(summary.pssMeanMiB!);
  });
});
