/**
 * Settings while running: re-reads the properties file given at start (SIGHUP, or
 * POST /rest-api/settings/reload), validates all of it first, and splits what changed
 * into what applies at once (`reload: 'live'` in the table) and what needs a restart
 * (`reload: 'restart'`: the running value stays in force). An invalid file changes
 * nothing: the reload fails with the same file:line messages as a refused start.
 *
 * This module knows settings only; applying them is the caller's `apply` (the service's
 * applySettings), which must either apply everything it is given or throw having
 * changed nothing. Reloads are serialized: a second one waits for the first.
 */
import { loadSettings, SettingsError } from './load-settings';
import { maskValue, SETTINGS, type SettingSpec, type Settings } from './settings-schema';

/** One changed setting, its values shown as in logs (secrets masked, URLs redacted). */
export interface SettingChange {
  key: string;
  from: string;
  to: string;
}

export interface SettingsDiff {
  /** Changed settings that apply at once. */
  live: SettingChange[];
  /** Changed settings that need a restart; the running value stays. */
  restart: SettingChange[];
}

export interface ReloadOutcome {
  file: string;
  /** Applied without a restart. */
  applied: SettingChange[];
  /** Changed in the file but not applied: they take effect at the next start. */
  restartRequired: SettingChange[];
  /** Worth a log line (a key set twice); do not stop the reload. */
  warnings: string[];
}

const SPECS = SETTINGS as readonly SettingSpec[];

function shown(spec: SettingSpec, value: unknown): string {
  return value === undefined ? '(unset)' : maskValue(spec.secret, spec.kind.format(value));
}

function sameValue(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => x === b[i]);
  return a === b;
}

/** What differs between the running settings and the file's, in table order. */
export function diffSettings(running: Settings, next: Settings): SettingsDiff {
  const from = running as Record<string, unknown>;
  const to = next as Record<string, unknown>;
  const diff: SettingsDiff = { live: [], restart: [] };
  for (const spec of SPECS) {
    const a = from[spec.field];
    const b = to[spec.field];
    if (sameValue(a, b)) continue;
    // A secret that changed shows as *** → ***: the key alone says what changed.
    diff[spec.reload].push({ key: spec.key, from: shown(spec, a), to: shown(spec, b) });
  }
  return diff;
}

/** The settings to run with after a reload: the file's, except restart-only ones keep their running value. */
export function liveSettings(running: Settings, next: Settings): Settings {
  const out = { ...next } as Record<string, unknown>;
  const from = running as Record<string, unknown>;
  for (const spec of SPECS) if (spec.reload === 'restart') out[spec.field] = from[spec.field];
  return out as Settings;
}

/** Applies settings; throws (having changed nothing) when a part cannot take them. */
export type ApplySettings = (next: Settings, diff: SettingsDiff) => void;

export class SettingsReloader {
  private running: Settings;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    readonly file: string,
    started: Settings,
    private readonly apply: ApplySettings,
  ) {
    this.running = started;
  }

  /** The settings in force (restart-only ones as at start). */
  get settings(): Settings {
    return this.running;
  }

  /**
   * Reads, validates and applies the file. Rejects with a SettingsError (every problem
   * with its file:line) when the file cannot be used, or when a part refuses the new
   * values; then nothing changed.
   */
  reload(): Promise<ReloadOutcome> {
    const run = this.queue.then(() => this.reloadNow());
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async reloadNow(): Promise<ReloadOutcome> {
    const loaded = await loadSettings(this.file);
    const next = liveSettings(this.running, loaded.settings);
    const diff = diffSettings(this.running, loaded.settings);
    // Applied even when no value changed: files named by a setting (rtmp_push_ca_file)
    // are read again, so a renewed CA needs only a reload.
    try {
      this.apply(next, diff);
    } catch (err) {
      throw new SettingsError(this.file, [`${this.file}: not applied: ${(err as Error).message}`]);
    }
    this.running = next;
    return { file: this.file, applied: diff.live, restartRequired: diff.restart, warnings: loaded.warnings };
  }
}
