/**
 * Java `.properties` syntax, read exactly as `java.util.Properties.load` reads it,
 * because admins copy their `flashphoner.properties` straight from a WCS install.
 *
 * Pure: text in, entries out. No file access, no logging, no knowledge of which keys
 * mean anything (that is the schema's job).
 *
 * Rules (from the `Properties.load(Reader)` javadoc):
 * - Natural lines end at `\n`, `\r` or `\r\n`. A natural line holding only white space
 *   (space, tab, form feed) is blank and skipped.
 * - A comment line has `#` or `!` as its first non-white-space character. Comment lines
 *   are never continued, whatever they end with.
 * - A logical line continues onto the next natural line when it ends with an odd number
 *   of backslashes; the backslash, the line end and the next line's leading white space
 *   vanish.
 * - The key runs from the first non-white-space character to the first unescaped `=`,
 *   `:` or white space. White space after the key is skipped, then at most one `=` or
 *   `:`, then white space again; the rest of the logical line is the value (trailing
 *   white space is kept, as in Java).
 * - Escapes: `\t \n \r \f`, `\uXXXX` (exactly four hex digits, else an error), and a
 *   backslash before any other character yields that character (`\=`, `\:`, `\#`, `\!`,
 *   `\ `, `\\`, and also `\b` → `b`).
 * - A key with nothing after it has the empty string as value.
 *
 * Two deliberate additions: a UTF-8 byte order mark at the very start is dropped (Java
 * would make it part of the first key), and a lone backslash at the very end of the
 * input is dropped rather than read past the end.
 */

/** One `key = value` entry; `line` is the 1-based natural line where it starts. */
export interface PropertyEntry {
  key: string;
  value: string;
  line: number;
}

/** The text is not valid `.properties` syntax (only a malformed `\uXXXX` can cause it). */
export class PropertiesSyntaxError extends Error {
  override readonly name = 'PropertiesSyntaxError';

  constructor(
    readonly line: number,
    readonly detail: string,
  ) {
    super(`line ${line}: ${detail}`);
  }
}

const BOM = '\uFEFF';

function isJavaWhitespace(c: string): boolean {
  return c === ' ' || c === '\t' || c === '\f';
}

function skipWhitespace(s: string, from: number): number {
  let i = from;
  while (i < s.length && isJavaWhitespace(s[i]!)) i++;
  return i;
}

/** True when `s` ends with an odd number of backslashes, i.e. its line end is escaped. */
function endsWithEscapedLineEnd(s: string): boolean {
  let n = 0;
  for (let i = s.length - 1; i >= 0 && s[i] === '\\'; i--) n++;
  return n % 2 === 1;
}

const HEX = /^[0-9a-fA-F]{4}$/;

/** Resolves escapes in one key or value (Java's `loadConvert`). */
function unescape(raw: string, line: number): string {
  if (!raw.includes('\\')) return raw;
  let out = '';
  let i = 0;
  while (i < raw.length) {
    const c = raw[i++]!;
    if (c !== '\\') {
      out += c;
      continue;
    }
    if (i >= raw.length) break; // lone trailing backslash: dropped
    const e = raw[i++]!;
    switch (e) {
      case 't':
        out += '\t';
        break;
      case 'n':
        out += '\n';
        break;
      case 'r':
        out += '\r';
        break;
      case 'f':
        out += '\f';
        break;
      case 'u': {
        const hex = raw.slice(i, i + 4);
        if (!HEX.test(hex)) {
          throw new PropertiesSyntaxError(line, `malformed \\uXXXX escape "\\u${hex}"`);
        }
        out += String.fromCharCode(parseInt(hex, 16));
        i += 4;
        break;
      }
      default:
        out += e;
    }
  }
  return out;
}

/** Splits one logical line (continuations already joined) into raw key and raw value. */
function splitKeyValue(logical: string): { rawKey: string; rawValue: string } {
  let keyEnd = 0;
  let valueStart = logical.length;
  let hasSeparator = false;
  let precedingBackslash = false;
  while (keyEnd < logical.length) {
    const c = logical[keyEnd]!;
    if ((c === '=' || c === ':') && !precedingBackslash) {
      valueStart = keyEnd + 1;
      hasSeparator = true;
      break;
    }
    if (isJavaWhitespace(c) && !precedingBackslash) {
      valueStart = keyEnd + 1;
      break;
    }
    precedingBackslash = c === '\\' ? !precedingBackslash : false;
    keyEnd++;
  }
  while (valueStart < logical.length) {
    const c = logical[valueStart]!;
    if (!isJavaWhitespace(c)) {
      if (!hasSeparator && (c === '=' || c === ':')) hasSeparator = true;
      else break;
    }
    valueStart++;
  }
  return { rawKey: logical.slice(0, keyEnd), rawValue: logical.slice(valueStart) };
}

/**
 * Parses `.properties` text into entries in file order. Later duplicates are kept (the
 * caller decides that the last one wins and can warn about the first).
 *
 * @throws PropertiesSyntaxError on a malformed `\uXXXX` escape, naming the line.
 */
export function parseProperties(text: string): PropertyEntry[] {
  const source = text.startsWith(BOM) ? text.slice(1) : text;
  const lines = source.split(/\r\n|\r|\n/);
  const entries: PropertyEntry[] = [];

  let i = 0;
  while (i < lines.length) {
    const startLine = i + 1;
    const first = lines[i++]!;
    const begin = skipWhitespace(first, 0);
    if (begin === first.length) continue; // blank
    const lead = first[begin];
    if (lead === '#' || lead === '!') continue; // comment, never continued

    let logical = first.slice(begin);
    while (endsWithEscapedLineEnd(logical)) {
      logical = logical.slice(0, -1);
      if (i >= lines.length) break; // escaped end of input: the backslash just goes
      const next = lines[i++]!;
      logical += next.slice(skipWhitespace(next, 0));
    }

    const { rawKey, rawValue } = splitKeyValue(logical);
    entries.push({
      key: unescape(rawKey, startLine),
      value: unescape(rawValue, startLine),
      line: startLine,
    });
  }
  return entries;
}

/**
 * Escapes a key (`isKey`) or a value. Keys escape every character that would end them;
 * values only what the reader would otherwise change (leading blanks, backslashes,
 * line ends), so URLs in the shipped file stay readable.
 */
function escapeText(text: string, isKey: boolean): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    switch (c) {
      case ' ':
        out += i === 0 || isKey ? '\\ ' : ' ';
        break;
      case '\t':
        out += '\\t';
        break;
      case '\n':
        out += '\\n';
        break;
      case '\r':
        out += '\\r';
        break;
      case '\f':
        out += '\\f';
        break;
      case '\\':
        out += '\\\\';
        break;
      case '=':
      case ':':
      case '#':
      case '!':
        out += isKey ? `\\${c}` : c;
        break;
      default: {
        const code = c.charCodeAt(0);
        out += code < 0x20 || code === 0x7f ? `\\u${code.toString(16).padStart(4, '0')}` : c;
      }
    }
  }
  return out;
}

/**
 * One `key=value` line that `parseProperties` reads back as exactly (key, value). Keys
 * are escaped as Java's `Properties.store` does; values only where needed; non-ASCII
 * text stays as it is (the file is UTF-8).
 */
export function formatPropertyLine(key: string, value: string): string {
  return `${escapeText(key, true)}=${escapeText(value, false)}`;
}
