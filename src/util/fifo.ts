/**
 * A first-in first-out queue for the per-packet path: push and shift are O(1)
 * amortized (an array with a head index, compacted once the consumed prefix is
 * at least half of it), unlike Array#shift, which moves every element.
 */
export class Fifo<T> {
  // Live items are items[head .. items.length); slots before head are consumed.
  private items: (T | undefined)[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    this.items.push(item);
  }

  peek(): T | undefined {
    return this.head < this.items.length ? this.items[this.head] : undefined;
  }

  /** The newest item. */
  last(): T | undefined {
    return this.head < this.items.length ? this.items[this.items.length - 1] : undefined;
  }

  shift(): T | undefined {
    if (this.head === this.items.length) return undefined;
    const item = this.items[this.head] as T;
    this.items[this.head] = undefined;
    this.head++;
    if (this.head === this.items.length) {
      this.items.length = 0;
      this.head = 0;
    } else if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }

  /** Keeps only the items `keep` accepts, in order; returns how many were removed. */
  retain(keep: (item: T) => boolean): number {
    const items = this.items;
    let write = 0;
    for (let read = this.head; read < items.length; read++) {
      const item = items[read] as T;
      if (keep(item)) items[write++] = item;
    }
    const removed = items.length - this.head - write;
    items.length = write;
    this.head = 0;
    return removed;
  }

  clear(): void {
    this.items = [];
    this.head = 0;
  }
}
