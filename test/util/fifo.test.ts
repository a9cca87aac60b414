import { Fifo } from '../../src/util/fifo';

describe('Fifo', () => {
  it('keeps order through pushes, shifts and compaction', () => {
    const q = new Fifo<number>();
    const expected: number[] = [];
    let next = 0;
    // Enough traffic to cross the 1024-item compaction point many times.
    for (let round = 0; round < 50; round++) {
      for (let i = 0; i < 300; i++) {
        q.push(next);
        expected.push(next++);
      }
      for (let i = 0; i < 250; i++) expect(q.shift()).toBe(expected.shift());
      expect(q.length).toBe(expected.length);
      expect(q.peek()).toBe(expected[0]);
      expect(q.last()).toBe(expected[expected.length - 1]);
    }
    while (expected.length) expect(q.shift()).toBe(expected.shift());
    expect(q.shift()).toBeUndefined();
    expect(q.peek()).toBeUndefined();
    expect(q.length).toBe(0);
  });

  it('retain removes in place and keeps the order of the rest', () => {
    const q = new Fifo<number>();
    for (let i = 0; i < 10; i++) q.push(i);
    q.shift();
    expect(q.retain((n) => n % 3 !== 0)).toBe(3); // 3, 6, 9
    const rest: number[] = [];
    for (let n = q.shift(); n !== undefined; n = q.shift()) rest.push(n);
    expect(rest).toEqual([1, 2, 4, 5, 7, 8]);
  });

  it('clear empties it', () => {
    const q = new Fifo<string>();
    q.push('a');
    q.clear();
    expect(q.length).toBe(0);
    q.push('b');
    expect(q.shift()).toBe('b');
  });
});
