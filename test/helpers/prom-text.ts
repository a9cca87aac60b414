/**
 * A parser of the Prometheus text exposition format, version 0.0.4, written from
 * prometheus.io/docs/instrumenting/exposition_formats ("Text format details"), strict
 * where the spec says "must", so a test that reads /metrics through it also checks the
 * output is valid:
 * - lines end with \n, the last one too; empty lines are ignored; tokens are separated
 *   by blanks or tabs; leading and trailing whitespace is ignored;
 * - `# HELP name docstring` (escapes \\ and \n) and `# TYPE name type` (counter, gauge,
 *   histogram, summary, untyped), each at most once per name and before the name's
 *   first sample; other `#` lines are comments;
 * - `name{label="value",...} value [timestamp]` with label-value escapes \\ \" \n, an
 *   optional trailing comma, values as Go's ParseFloat reads them in decimal (NaN, +Inf,
 *   -Inf included) and an int64 millisecond timestamp;
 * - every line of a family forms one group; a name and label set appears once;
 * - `_bucket`, `_sum`, `_count` samples belong to the histogram (`_sum`, `_count` to the
 *   summary) they follow; a name without TYPE is untyped.
 * Not read: hexadecimal floats (no client writes them).
 */

export type PromType = 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';

export interface PromSample {
  name: string;
  labels: Record<string, string>;
  value: number;
  timestampMs?: number;
}

export interface PromFamily {
  name: string;
  type: PromType;
  help?: string;
  samples: PromSample[];
}

export class PromTextError extends Error {
  override readonly name = 'PromTextError';
  constructor(readonly line: number, message: string) {
    super(`line ${line}: ${message}`);
  }
}

const TYPES: readonly PromType[] = ['counter', 'gauge', 'histogram', 'summary', 'untyped'];
const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const METRIC_NAME_START = /[a-zA-Z_:]/;
const METRIC_NAME_CHAR = /[a-zA-Z0-9_:]/;
const LABEL_NAME_START = /[a-zA-Z_]/;
const LABEL_NAME_CHAR = /[a-zA-Z0-9_]/;
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const INT64 = /^[+-]?\d+$/;
const BLANK = /[ \t]/;

function isBlank(c: string | undefined): boolean {
  return c !== undefined && BLANK.test(c);
}

/** Go's ParseFloat on a decimal: numbers, and Inf/Infinity/NaN in any case with an optional sign. */
export function parsePromValue(text: string): number | undefined {
  if (DECIMAL.test(text)) return Number(text);
  const m = /^([+-]?)(inf|infinity|nan)$/i.exec(text);
  if (!m) return undefined;
  if (m[2].toLowerCase() === 'nan') return NaN;
  return m[1] === '-' ? -Infinity : Infinity;
}

/** Undoes the escapes of a HELP docstring (\\ and \n); any other escape is an error. */
function unescapeHelp(text: string, line: number): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c !== '\\') {
      out += c;
      continue;
    }
    const next = text[++i];
    if (next === '\\') out += '\\';
    else if (next === 'n') out += '\n';
    else throw new PromTextError(line, `invalid escape sequence "\\${next ?? ''}" in HELP`);
  }
  return out;
}

/** Reads one sample line; `text` has no leading whitespace. */
function parseSampleLine(text: string, line: number): PromSample {
  let i = 0;
  const fail = (what: string): never => {
    throw new PromTextError(line, `${what} at column ${i + 1}`);
  };
  const skipBlanks = (): void => {
    while (isBlank(text[i])) i++;
  };

  if (!METRIC_NAME_START.test(text[i] ?? '')) fail('expected a metric name');
  const nameStart = i;
  while (i < text.length && METRIC_NAME_CHAR.test(text[i])) i++;
  const name = text.slice(nameStart, i);
  const labels: Record<string, string> = {};
  skipBlanks();

  if (text[i] === '{') {
    i++;
    for (;;) {
      skipBlanks();
      if (text[i] === '}') break;
      if (!LABEL_NAME_START.test(text[i] ?? '')) fail('expected a label name');
      const labelStart = i;
      while (i < text.length && LABEL_NAME_CHAR.test(text[i])) i++;
      const labelName = text.slice(labelStart, i);
      skipBlanks();
      if (text[i] !== '=') fail(`expected "=" after label ${labelName}`);
      i++;
      skipBlanks();
      if (text[i] !== '"') fail(`expected a quoted value for label ${labelName}`);
      i++;
      let value = '';
      for (;;) {
        const c = text[i];
        if (c === undefined) fail(`unterminated value of label ${labelName}`);
        i++;
        if (c === '"') break;
        if (c !== '\\') {
          value += c;
          continue;
        }
        const next = text[i++];
        if (next === '\\') value += '\\';
        else if (next === '"') value += '"';
        else if (next === 'n') value += '\n';
        else fail(`invalid escape sequence "\\${next ?? ''}" in label ${labelName}`);
      }
      if (Object.prototype.hasOwnProperty.call(labels, labelName)) fail(`label ${labelName} given twice`);
      labels[labelName] = value;
      skipBlanks();
      if (text[i] === ',') {
        i++;
        continue;
      }
      if (text[i] === '}') break;
      fail('expected "," or "}"');
    }
    i++; // the "}"
  }

  const rest = text.slice(i).trim().split(/[ \t]+/).filter((t) => t !== '');
  if (rest.length === 0) fail('expected a value');
  if (rest.length > 2) fail('expected at most a value and a timestamp');
  const value = parsePromValue(rest[0]);
  if (value === undefined) throw new PromTextError(line, `"${rest[0]}" is not a float`);
  const sample: PromSample = { name, labels, value };
  if (rest.length === 2) {
    if (!INT64.test(rest[1])) throw new PromTextError(line, `timestamp "${rest[1]}" is not an integer`);
    sample.timestampMs = Number(rest[1]);
  }
  return sample;
}

/** The family a sample named `name` belongs to, given the families typed so far. */
function familyNameOf(name: string, families: ReadonlyMap<string, PromFamily>): string {
  if (families.has(name)) return name;
  const m = /^(.*)_(bucket|sum|count)$/.exec(name);
  if (m) {
    const base = families.get(m[1]);
    if (base?.type === 'histogram') return m[1];
    if (base?.type === 'summary' && m[2] !== 'bucket') return m[1];
  }
  return name;
}

function seriesKey(sample: PromSample): string {
  const labels = Object.keys(sample.labels).sort().map((k) => `${k}=${JSON.stringify(sample.labels[k])}`);
  return `${sample.name}{${labels.join(',')}}`;
}

/** Every family of an exposition, in the order they appear. Throws PromTextError on the first violation. */
export function parsePromText(text: string): Map<string, PromFamily> {
  const families = new Map<string, PromFamily>();
  const withSamples = new Set<string>();
  const helped = new Set<string>();
  const typed = new Set<string>();
  const finished = new Set<string>();
  const seen = new Set<string>();
  let current: string | undefined;

  if (text !== '' && !text.endsWith('\n')) throw new PromTextError(text.split('\n').length, 'the last line must end with a line feed');
  const lines = text.split('\n');
  lines.pop(); // after the final \n

  const enter = (name: string, lineNo: number): PromFamily => {
    if (current !== name) {
      if (finished.has(name)) throw new PromTextError(lineNo, `the lines of ${name} are not one group`);
      if (current !== undefined) finished.add(current);
      current = name;
    }
    let family = families.get(name);
    if (!family) {
      family = { name, type: 'untyped', samples: [] };
      families.set(name, family);
    }
    return family;
  };

  lines.forEach((raw, index) => {
    const lineNo = index + 1;
    const line = raw.replace(/^[ \t]+/, '');
    if (line.replace(/[ \t]+$/, '') === '') return;
    if (line.startsWith('#')) {
      const m = /^#[ \t]*(HELP|TYPE)[ \t]+(\S+)(?:[ \t]+(.*))?$/.exec(line);
      if (!m) return; // a comment
      const [, keyword, name, rest = ''] = m;
      if (!METRIC_NAME.test(name)) throw new PromTextError(lineNo, `"${name}" is not a metric name`);
      const family = enter(name, lineNo);
      if (keyword === 'HELP') {
        if (helped.has(name)) throw new PromTextError(lineNo, `a second HELP for ${name}`);
        helped.add(name);
        family.help = unescapeHelp(rest.replace(/[ \t]+$/, ''), lineNo);
      } else {
        const type = rest.trim();
        if (!(TYPES as readonly string[]).includes(type)) throw new PromTextError(lineNo, `"${type}" is not a metric type`);
        if (typed.has(name)) throw new PromTextError(lineNo, `a second TYPE for ${name}`);
        if (withSamples.has(name)) throw new PromTextError(lineNo, `the TYPE of ${name} comes after its samples`);
        typed.add(name);
        family.type = type as PromType;
      }
      return;
    }
    const sample = parseSampleLine(line, lineNo);
    const familyName = familyNameOf(sample.name, families);
    const family = enter(familyName, lineNo);
    const key = seriesKey(sample);
    if (seen.has(key)) throw new PromTextError(lineNo, `${key} appears twice`);
    seen.add(key);
    withSamples.add(familyName);
    family.samples.push(sample);
  });
  return families;
}

/** The samples of every family whose name starts with `prefix` (all families without one). */
export function samplesOf(families: ReadonlyMap<string, PromFamily>, prefix = ''): PromSample[] {
  return [...families.values()].filter((f) => f.name.startsWith(prefix)).flatMap((f) => f.samples);
}
