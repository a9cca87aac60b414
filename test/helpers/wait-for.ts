/**
 * Waiting on a condition with a deadline: what tests do instead of sleeping and then
 * checking. A timeout fails with what was awaited (and, if given, what was seen), so a
 * slow machine shows up as a clear error rather than a check that passed too early.
 */

export interface WaitForOptions {
  /** Fail after this long (default 10 s). */
  timeoutMs?: number;
  /** Names the condition in the timeout error: "timed out after 5000 ms waiting for <what>". */
  what: string;
  /** How often the condition is polled (default 20 ms). */
  intervalMs?: number;
  /** Called on timeout; its text is appended to the error (the state that was seen). */
  seen?: () => string;
}

type Falsy = undefined | null | false | 0 | '';

/**
 * Resolves with the condition's first truthy value; rejects once `timeoutMs` passed
 * without one, or as soon as the condition throws.
 */
export async function waitFor<T>(condition: () => T | Falsy | Promise<T | Falsy>, opts: WaitForOptions): Promise<T> {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await condition();
    if (value) return value as T;
    if (performance.now() >= deadline) {
      const seen = opts.seen ? `; seen: ${opts.seen()}` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${opts.what}${seen}`);
    }
    await new Promise((resolve) => setTimeout(resolve, opts.intervalMs ?? 20));
  }
}

export interface HoldsForOptions {
  /** How long the condition must keep holding. */
  durationMs: number;
  /** Names the condition in the error: "<what> stopped holding after 812 ms". */
  what: string;
  /** How often it is checked (default 50 ms). */
  intervalMs?: number;
  seen?: () => string;
}

/**
 * Asserts that a condition holds throughout a window, checking it all along and failing
 * at the first check that finds it false. For what can only be observed over time (a
 * poll that must not happen again, a state that must not leave), in place of sleeping
 * and checking once at the end.
 */
export async function holdsFor(condition: () => boolean | Promise<boolean>, opts: HoldsForOptions): Promise<void> {
  const start = performance.now();
  for (;;) {
    if (!(await condition())) {
      const seen = opts.seen ? `; seen: ${opts.seen()}` : '';
      throw new Error(`${opts.what} stopped holding after ${Math.round(performance.now() - start)} ms${seen}`);
    }
    if (performance.now() - start >= opts.durationMs) return;
    await new Promise((resolve) => setTimeout(resolve, opts.intervalMs ?? 50));
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
