import { RepeatingTimer, systemClock } from '../../src/util/clock';
import { FakeClock } from '../helpers/fake-clock';

describe('RepeatingTimer', () => {
  const timers: RepeatingTimer[] = [];
  afterEach(() => {
    for (const t of timers.splice(0)) t.stop();
  });
  function make(clock: FakeClock | typeof systemClock, period: number, fn: () => void): RepeatingTimer {
    const t = new RepeatingTimer(clock, period, fn);
    timers.push(t);
    return t;
  }

  test('ticks once per period while running, at the period boundaries, and arms one timeout at a time', () => {
    const clock = new FakeClock();
    const at: number[] = [];
    const timer = make(clock, 100, () => at.push(clock.now()));
    expect(clock.active).toBe(0);
    timer.start();
    timer.start();
    expect(clock.active).toBe(1);
    clock.advance(350);
    expect(at).toEqual([100, 200, 300]);
    expect(clock.active).toBe(1);
    timer.stop();
    expect(clock.active).toBe(0);
    clock.advance(1000);
    expect(at).toEqual([100, 200, 300]);
  });

  test('stop from inside the tick ends it; start from inside re-arms exactly once', () => {
    const clock = new FakeClock();
    let ticks = 0;
    const timer = make(clock, 10, () => {
      ticks++;
      timer.stop();
      if (ticks === 1) timer.start();
    });
    timer.start();
    clock.advance(10);
    expect(ticks).toBe(1);
    expect(clock.active).toBe(1);
    clock.advance(10);
    expect(ticks).toBe(2);
    expect(clock.active).toBe(0);
    expect(timer.running).toBe(false);
  });

  test('a tick that throws keeps the timer running', () => {
    const clock = new FakeClock();
    let ticks = 0;
    const timer = make(clock, 10, () => {
      ticks++;
      throw new Error('tick failed');
    });
    timer.start();
    expect(() => clock.advance(10)).toThrow('tick failed');
    expect(timer.running).toBe(true);
    expect(clock.active).toBe(1);
    expect(() => clock.advance(10)).toThrow('tick failed');
    expect(ticks).toBe(2);
  });

  test('on the system clock it ticks until stopped', async () => {
    let ticks = 0;
    const reached = new Promise<void>((resolve) => {
      const timer = make(systemClock, 1, () => {
        if (++ticks === 3) {
          timer.stop();
          resolve();
        }
      });
      timer.start();
    });
    await reached;
    expect(ticks).toBe(3);
  });
});

describe('systemClock', () => {
  test('now() never goes back; a cleared timeout never fires', async () => {
    const a = systemClock.now();
    let fired = false;
    const h = systemClock.setTimeout(() => { fired = true; }, 1);
    systemClock.clearTimeout(h);
    await new Promise<void>((resolve) => systemClock.setTimeout(resolve, 5));
    expect(systemClock.now()).toBeGreaterThanOrEqual(a);
    expect(fired).toBe(false);
  });
});
