/**
 * Waiting on a condition with a deadline: what tests do instead of sleeping and then
 * checking. A timeout fails with what was awaited (and, if given, what was seen), so a
 * slow machine shows up as a clear error rather than a check that passed too early.
 */

export interface WaitForOptions {
  /** Fail after this long. */
  timeoutMs: number;
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
  const deadline = performance.now() + opts.timeoutMs;
  for (;;) {
    const value = await condition();
    if (value) return value as T;
    if (performance.now() >= deadline) {
      const seen = opts.seen ? `; seen: ${opts.seen()}` : '';
      throw new Error(`timed out after ${opts.timeoutMs} ms waiting for ${opts.what}${seen}`);
    }
    await new Promise((resolve) => setTimeout(resolve, opts.intervalMs ?? 20));
  }
}
