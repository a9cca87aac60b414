/**
 * Reads `flashphoner.properties` into typed `Settings`, or refuses with every problem
 * named by file, line, key and value at once, so an admin fixes the file in one pass.
 *
 * Unknown keys are fine (a WCS file carries hundreds): they are returned for one log
 * line at start. Secrets never appear in messages.
 */
import { readFile } from 'node:fs/promises';

import { decodePropertiesFile } from './properties-encoding';
import { parseProperties, PropertiesSyntaxError, type PropertyEntry } from './properties-parser';
import { suffixRecord, type SuffixedValueKind } from './value-kinds';
import {
  crossFieldIssues,
  defaultSettings,
  maskValue,
  SETTINGS,
  SPEC_BY_KEY,
  type SettingSpec,
  type Settings,
} from './settings-schema';

/** The settings file cannot be used; `problems` holds one line per problem, `message` all of them. */
export class SettingsError extends Error {
  override readonly name = 'SettingsError';

  constructor(
    readonly sourceName: string,
    readonly problems: readonly string[],
  ) {
    super(problems.join('\n'));
  }
}

export interface LoadedSettings {
  settings: Settings;
  /** Keys in the file that rtmp-transponder does not use, each once, in file order. */
  ignoredKeys: string[];
  /** Things worth a log line that do not stop the start (a key set twice). */
  warnings: string[];
  sourceName: string;
}

interface Chosen {
  spec: SettingSpec;
  entry: PropertyEntry;
  /** For `key.<suffix>` of a suffixed setting. */
  suffix?: string;
}

const SUFFIXED_SPECS = SETTINGS.filter((s): s is typeof s & { suffixed: true } => (s as SettingSpec).suffixed === true) as readonly SettingSpec[];

/** `rest_hook_url.myApp` → the rest_hook_url spec and `myApp`. */
function suffixedSpecOf(key: string): { spec: SettingSpec; suffix: string } | undefined {
  for (const spec of SUFFIXED_SPECS) {
    if (key.length > spec.key.length + 1 && key.startsWith(`${spec.key}.`)) return { spec, suffix: key.slice(spec.key.length + 1) };
  }
  return undefined;
}

function quoted(spec: SettingSpec, text: string): string {
  return `"${maskValue(spec.secret, text)}"`;
}

/** Parses settings text; `sourceName` (usually the path) prefixes every message. */
export function parseSettings(text: string, sourceName: string): LoadedSettings {
  let entries: PropertyEntry[];
  try {
    entries = parseProperties(text);
  } catch (err) {
    if (err instanceof PropertiesSyntaxError) {
      throw new SettingsError(sourceName, [`${sourceName}:${err.line}: ${err.detail}`]);
    }
    throw err;
  }

  const warnings: string[] = [];
  const ignored = new Set<string>();
  // Keyed by the setting's main key, so a key and its alias count as one setting.
  const chosen = new Map<string, Chosen>();
  const firstUnknownLine = new Map<string, number>();

  for (const entry of entries) {
    const spec: SettingSpec | undefined = SPEC_BY_KEY.get(entry.key);
    const suffixed = spec === undefined ? suffixedSpecOf(entry.key) : undefined;
    if (suffixed !== undefined) {
      // One setting per suffix: a suffix set twice warns like any key set twice.
      const previous = chosen.get(entry.key);
      if (previous !== undefined) {
        warnings.push(`${sourceName}:${entry.line}: ${entry.key} is set again (first at line ${previous.entry.line}); the value from line ${entry.line} is used`);
      }
      chosen.set(entry.key, { spec: suffixed.spec, entry, suffix: suffixed.suffix });
      continue;
    }
    if (spec === undefined) {
      const first = firstUnknownLine.get(entry.key);
      if (first === undefined) firstUnknownLine.set(entry.key, entry.line);
      else warnings.push(`${sourceName}:${entry.line}: ${entry.key} is set again (first at line ${first})`);
      ignored.add(entry.key);
      continue;
    }
    const previous = chosen.get(spec.key);
    if (previous !== undefined) {
      const same = previous.entry.key === entry.key ? entry.key : `${entry.key} (same setting as ${previous.entry.key})`;
      warnings.push(
        `${sourceName}:${entry.line}: ${same} is set again (first at line ${previous.entry.line}); the value from line ${entry.line} is used`,
      );
    }
    chosen.set(spec.key, { spec, entry });
  }

  const problems: string[] = [];
  const values = defaultSettings() as Record<string, unknown>;
  for (const { spec, entry, suffix } of chosen.values()) {
    const kind = suffix === undefined ? spec.kind : (spec.kind as SuffixedValueKind<unknown>).item;
    const result = kind.schema.safeParse(entry.value);
    if (result.success && spec.suffixed) {
      // The plain key and each `key.<suffix>` add to one record, whatever their order.
      const own = suffix === undefined ? (result.data as Record<string, unknown>) : { [suffix]: result.data };
      values[spec.field] = suffixRecord({ ...(values[spec.field] as Record<string, unknown>), ...own });
    } else if (result.success) {
      values[spec.field] = result.data;
    } else {
      const why = result.error.issues[0]?.message ?? `expected ${spec.kind.expected}`;
      problems.push(`${sourceName}:${entry.line}: ${entry.key} = ${quoted(spec, entry.value)}: ${why}`);
    }
  }
  if (problems.length > 0) throw new SettingsError(sourceName, problems);

  const settings = values as Settings;
  for (const issue of crossFieldIssues(settings)) {
    const key = issue.keys[0];
    const given = chosen.get(key);
    if (given !== undefined) {
      problems.push(
        `${sourceName}:${given.entry.line}: ${given.entry.key} = ${quoted(given.spec, given.entry.value)}: ${issue.message}`,
      );
      continue;
    }
    const spec: SettingSpec | undefined = SPEC_BY_KEY.get(key);
    const value = spec === undefined ? undefined : values[spec.field];
    const shown = spec === undefined || value === undefined ? '(unset)' : quoted(spec, spec.kind.format(value));
    problems.push(`${sourceName}: ${key} = ${shown} (default): ${issue.message}`);
  }
  if (problems.length > 0) throw new SettingsError(sourceName, problems);

  return { settings, ignoredKeys: [...ignored], warnings, sourceName };
}

/**
 * Reads and parses a settings file: UTF-8 when its bytes are valid UTF-8, else ISO-8859-1
 * as Java reads it (properties-encoding.ts). A missing or unreadable file is a
 * SettingsError naming the path.
 */
export async function loadSettings(path: string): Promise<LoadedSettings> {
  let text: string;
  try {
    text = decodePropertiesFile(await readFile(path)).text;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : String(err);
    throw new SettingsError(path, [`${path}: cannot read the settings file: ${why}`]);
  }
  return parseSettings(text, path);
}

/**
 * Every setting by its property key, for one startup log line: unset ones as "(unset)",
 * lists joined with commas, secrets masked.
 */
export function describeSettings(settings: Settings): Record<string, string | number | boolean> {
  const values = settings as Record<string, unknown>;
  const out: Record<string, string | number | boolean> = {};
  for (const spec of SETTINGS as readonly SettingSpec[]) {
    const value = values[spec.field];
    if (value === undefined) out[spec.key] = '(unset)';
    else if (typeof value === 'number' || typeof value === 'boolean') out[spec.key] = value;
    else out[spec.key] = maskValue(spec.secret, spec.kind.format(value));
  }
  return out;
}
