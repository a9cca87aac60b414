/** How long a load scenario idles before the load, warms up under it, and is measured (ms). */
export interface WindowTiming {
  idleMs: number;
  warmupMs: number;
  measureMs: number;
}
