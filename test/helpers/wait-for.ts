/** Waits on a condition with a deadline: the one way tests wait (never sleep-then-hope). */
export interface WaitForOptions {
  /** What is awaited, for the error when the deadline passes. */
  what: string;
  /** Default 10 s. */
  timeoutMs?: number;
  /** How often the condition is checked; default 10 ms. */
  intervalMs?: number;
}

export async function waitFor(condition: () => boolean | Promise<boolean>, opts: WaitForOptions): Promise<void> {
  const deadline = Date.now() + (opts.timeoutMs ?? 10_000);
  for (;;) {
    if (await condition()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${opts.timeoutMs ?? 10_000} ms waiting for ${opts.what}`);
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 10));
  }
}

/** Waits until `get` gives a value (not undefined/false) and returns it; same deadline rules as waitFor. */
export async function waitForValue<T>(get: () => T | undefined | false | Promise<T | undefined | false>, opts: WaitForOptions): Promise<T> {
  let value: T | undefined | false;
  await waitFor(async () => {
    value = await get();
    return value !== undefined && value !== false;
  }, opts);
  return value as T;
}
