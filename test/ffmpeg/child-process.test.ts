import { SupervisedProcess, type SupervisedProcessOptions } from '../../src/ffmpeg/child-process';
import { waitFor } from '../helpers/wait-for';
import { isAlive } from '../media/audio-analysis';

const procs: SupervisedProcess[] = [];

function start(opts: SupervisedProcessOptions): SupervisedProcess {
  const p = new SupervisedProcess(opts);
  procs.push(p);
  return p;
}

const sh = (script: string, extra: Partial<SupervisedProcessOptions> = {}): SupervisedProcess =>
  start({ name: 'test child', command: '/bin/sh', args: ['-c', script], ...extra });

/** Resolves once the child printed `ready` (its traps are set). */
function ready(p: SupervisedProcess): Promise<boolean> {
  let out = '';
  p.on('stdout', (d) => (out += d.toString()));
  return waitFor(() => out.includes('ready'), { timeoutMs: 5000, what: 'the child to set its traps' });
}

afterEach(async () => {
  await Promise.all(procs.splice(0).map((p) => p.close('test over')));
});

describe('SupervisedProcess', () => {
  test('stdin reaches the child and its stdout comes back; end of input lets it exit 0', async () => {
    const p = start({ command: 'cat', args: [] });
    const out: Buffer[] = [];
    p.on('stdout', (d) => out.push(d));
    expect(p.write(Buffer.from('hello '))).toBe(true);
    p.write(Buffer.from('world'));
    p.endInput();
    const info = await p.closed;
    expect(Buffer.concat(out).toString()).toBe('hello world');
    expect(info).toMatchObject({ code: 0, signal: null, requested: undefined });
    expect(info.reason).toBe('cat exited with code 0');
    expect(p.isClosed).toBe(true);
  });

  test('the exit code and the tail of stderr become the close reason', async () => {
    const p = sh('echo "first line" >&2; echo "Invalid argument" >&2; exit 3');
    const reasons: string[] = [];
    p.on('close', (r) => reasons.push(r));
    const info = await p.closed;
    expect(info.code).toBe(3);
    expect(info.reason).toBe('test child exited with code 3: first line | Invalid argument');
    expect(reasons).toEqual([info.reason]);
  });

  test('only the last stderrTailBytes of stderr are kept', async () => {
    const p = sh('i=0; while [ $i -lt 500 ]; do echo "line $i" >&2; i=$((i+1)); done; exit 1', { stderrTailBytes: 64 });
    const info = await p.closed;
    expect(info.stderrTail.length).toBeLessThanOrEqual(64);
    expect(info.stderrTail).toMatch(/line 499$/);
  });

  test('close() on a child that ignores end of input and SIGINT ends with SIGKILL, and nothing of its group is left', async () => {
    // the shell ignores INT and starts a grandchild in the same group
    const p = sh('trap "" INT; sleep 30 & echo ready; while :; do sleep 0.05; done', { interruptAfterMs: 100, killAfterMs: 200 });
    const pid = p.pid!;
    await ready(p);
    const info = await p.close('stopping');
    expect(info.signal).toBe('SIGKILL');
    expect(info.reason).toMatch(/^stopping \(test child killed by SIGKILL\)/);
    expect(isAlive(pid)).toBe(false);
    // the whole group is gone (the orphaned grandchild is reaped by init, give it a moment)
    const groupAlive = (): boolean => {
      try {
        process.kill(-pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    await waitFor(() => !groupAlive(), { timeoutMs: 10_000, what: 'no process left in the group' });
  });

  test('close() on a child that stops on SIGINT does not need SIGKILL', async () => {
    const p = sh('trap "exit 7" INT; echo ready; while :; do sleep 0.05; done', { interruptAfterMs: 50, killAfterMs: 60_000 });
    await ready(p);
    const info = await p.close('stop');
    // the exit status its INT trap chose: it ended on SIGINT, not on a later SIGKILL
    expect(info).toMatchObject({ code: 7, signal: null });
  });

  test('close() twice resolves the same way and reports the first reason', async () => {
    const p = start({ command: 'cat', args: [] });
    const [a, b] = await Promise.all([p.close('one'), p.close('two')]);
    expect(a).toBe(b);
    expect(a.requested).toBe('one');
    expect(await p.close('three')).toBe(a);
  });

  test('writes after the child died never throw (no EPIPE into the caller)', async () => {
    const p = sh('exit 0');
    await p.closed;
    const big = Buffer.alloc(256 * 1024);
    for (let i = 0; i < 20; i++) expect(p.write(big)).toBe(false);
  });

  test('a child that stops reading makes write() return false, then drops past maxBufferedBytes', async () => {
    const p = sh('sleep 30', { highWaterMark: 64 * 1024, maxBufferedBytes: 1024 * 1024 });
    const chunk = Buffer.alloc(64 * 1024);
    let falses = 0;
    for (let i = 0; i < 64; i++) if (!p.write(chunk)) falses++;
    expect(falses).toBeGreaterThan(0);
    expect(p.stats.droppedBytes).toBeGreaterThan(0);
    expect(p.stats.bufferedBytes).toBeLessThanOrEqual(1024 * 1024);
  });

  test('writev() hands its buffers over in order; past maxBufferedBytes it drops them all', async () => {
    const p = start({ command: 'cat', args: [] });
    const out: Buffer[] = [];
    p.on('stdout', (d) => out.push(d));
    expect(p.writev([Buffer.from('one '), Buffer.from('two '), Buffer.from('three')])).toBe(true);
    expect(p.writev([Buffer.from(' four')])).toBe(true);
    p.endInput();
    await p.closed;
    expect(Buffer.concat(out).toString()).toBe('one two three four');
    expect(p.stats).toMatchObject({ bytesWritten: 18, writes: 2 });

    const stalled = sh('sleep 30', { maxBufferedBytes: 1024 * 1024 });
    for (let i = 0; i < 32 && stalled.stats.droppedBytes === 0; i++) stalled.writev([Buffer.alloc(32 * 1024), Buffer.alloc(32 * 1024)]);
    // what was dropped was a whole writev: both of its buffers
    expect(stalled.stats.droppedBytes).toBe(64 * 1024);
    expect(stalled.stats.bufferedBytes).toBeLessThanOrEqual(1024 * 1024);
  });

  test('drain fires once a slow reader catches up', async () => {
    const p = sh('sleep 0.2; cat > /dev/null', { highWaterMark: 16 * 1024 });
    const drained = new Promise<void>((r) => p.once('drain', () => r()));
    let ok = true;
    for (let i = 0; i < 16 && ok; i++) ok = p.write(Buffer.alloc(64 * 1024));
    expect(ok).toBe(false);
    await drained;
  });

  test('a missing executable closes at once with a reason, no pid', async () => {
    const p = start({ name: 'ghost', command: '/nonexistent/ffmpeg', args: [] });
    expect(p.pid).toBeUndefined();
    const info = await p.closed;
    expect(info.reason).toMatch(/^ghost could not start: .*ENOENT/);
    expect(p.write(Buffer.from('x'))).toBe(false);
    expect((await p.close('late')).reason).toBe(info.reason);
  });

  test('a throwing close listener does not break the emitter', async () => {
    const p = sh('exit 0');
    p.on('close', () => {
      throw new Error('listener bug');
    });
    const spy = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    const seen: string[] = [];
    p.on('close', (r) => seen.push(r));
    await p.closed;
    spy.mockRestore();
    expect(seen).toHaveLength(1);
  });
});
