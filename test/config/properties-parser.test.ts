import { formatPropertyLine, parseProperties, PropertiesSyntaxError, type PropertyEntry } from '../../src/config/properties-parser';

/**
 * Golden cases written from the java.util.Properties.load(Reader) javadoc (its own
 * examples first, then one case per rule it states), never from our own output.
 */
const GOLDEN: { name: string; text: string; entries: PropertyEntry[] }[] = [
  // The javadoc's three ways to write the same pair.
  { name: 'javadoc: "Truth = Beauty"', text: 'Truth = Beauty', entries: [{ key: 'Truth', value: 'Beauty', line: 1 }] },
  { name: 'javadoc: " Truth:Beauty"', text: ' Truth:Beauty', entries: [{ key: 'Truth', value: 'Beauty', line: 1 }] },
  {
    name: 'javadoc: "Truth                    :Beauty"',
    text: 'Truth                    :Beauty',
    entries: [{ key: 'Truth', value: 'Beauty', line: 1 }],
  },
  {
    name: 'javadoc: fruits over three natural lines',
    text: [
      'fruits                           apple, banana, pear, \\',
      '                                 cantaloupe, watermelon, \\',
      '                                 kiwi, mango',
    ].join('\n'),
    entries: [{ key: 'fruits', value: 'apple, banana, pear, cantaloupe, watermelon, kiwi, mango', line: 1 }],
  },
  { name: 'javadoc: "cheeses" has the empty string as value', text: 'cheeses', entries: [{ key: 'cheeses', value: '', line: 1 }] },
  { name: 'javadoc: \\:\\= is the two-character key ":="', text: '\\:\\=', entries: [{ key: ':=', value: '', line: 1 }] },
  {
    name: 'javadoc: a backslash before a non-escape character is dropped ("\\b" is "b")',
    text: 'k=\\b\\z\\"\\\'',
    entries: [{ key: 'k', value: 'bz"\'', line: 1 }],
  },

  // Comments and blank lines.
  { name: '# and ! comment lines, also indented', text: '# one\n! two\n   # three\n\t! four', entries: [] },
  { name: 'white-space-only lines are blank', text: ' \t\f\n\n   \n', entries: [] },
  {
    name: 'a comment line ending in a backslash does not continue',
    text: '# comment \\\nkey=v',
    entries: [{ key: 'key', value: 'v', line: 2 }],
  },
  {
    name: '# after the start of a line is ordinary text',
    text: 'key=a#b!c',
    entries: [{ key: 'key', value: 'a#b!c', line: 1 }],
  },

  // Separators.
  { name: 'key: value', text: 'key: value', entries: [{ key: 'key', value: 'value', line: 1 }] },
  { name: 'key value (white space separates)', text: 'key value', entries: [{ key: 'key', value: 'value', line: 1 }] },
  { name: 'white space, then =, then white space', text: 'key   =   value', entries: [{ key: 'key', value: 'value', line: 1 }] },
  { name: 'only the first separator is consumed', text: 'key = = value', entries: [{ key: 'key', value: '= value', line: 1 }] },
  { name: 'a later : belongs to the value', text: 'url=rtmp://h:1935/live', entries: [{ key: 'url', value: 'rtmp://h:1935/live', line: 1 }] },
  { name: 'tab and form feed are white space', text: '\tkey\f=\tvalue', entries: [{ key: 'key', value: 'value', line: 1 }] },
  { name: 'trailing white space stays in the value', text: 'key=value  ', entries: [{ key: 'key', value: 'value  ', line: 1 }] },
  { name: 'key= gives the empty value', text: 'key=', entries: [{ key: 'key', value: '', line: 1 }] },
  { name: 'key followed by blanks gives the empty value', text: 'key   ', entries: [{ key: 'key', value: '', line: 1 }] },
  { name: 'an escaped space belongs to the key', text: 'my\\ key = v', entries: [{ key: 'my key', value: 'v', line: 1 }] },
  {
    name: 'an escaped = or : belongs to the key',
    text: 'a\\=b\\:c=d',
    entries: [{ key: 'a=b:c', value: 'd', line: 1 }],
  },
  {
    name: '\\u003d in a key is not a separator',
    text: 'a\\u003db=c',
    entries: [{ key: 'a=b', value: 'c', line: 1 }],
  },

  // Escapes.
  {
    name: '\\t \\n \\r \\f \\\\ \\= \\: \\# \\! and \\space',
    text: 'k=\\t\\n\\r\\f\\\\\\=\\:\\#\\!\\ x',
    entries: [{ key: 'k', value: '\t\n\r\f\\=:#! x', line: 1 }],
  },
  { name: '\\uXXXX in either letter case', text: 'k=\\u0041\\u00e9\\u00E9', entries: [{ key: 'k', value: 'Aéé', line: 1 }] },
  { name: 'an escaped leading space is kept', text: 'k=\\  x', entries: [{ key: 'k', value: '  x', line: 1 }] },
  { name: 'UTF-8 text passes through', text: 'k=привет ✓', entries: [{ key: 'k', value: 'привет ✓', line: 1 }] },

  // Continuation.
  {
    name: 'an even number of backslashes does not continue',
    text: 'a=b\\\\\nc=d',
    entries: [
      { key: 'a', value: 'b\\', line: 1 },
      { key: 'c', value: 'd', line: 2 },
    ],
  },
  {
    name: 'three backslashes: one escaped backslash, then a continuation',
    text: 'a=b\\\\\\\n   c',
    entries: [{ key: 'a', value: 'b\\c', line: 1 }],
  },
  {
    name: 'a continued line that starts with # is content, not a comment',
    text: 'a=1,\\\n  #2',
    entries: [{ key: 'a', value: '1,#2', line: 1 }],
  },
  {
    name: 'a blank continuation line ends the logical line',
    text: 'a=b\\\n\nc=d',
    entries: [
      { key: 'a', value: 'b', line: 1 },
      { key: 'c', value: 'd', line: 3 },
    ],
  },
  {
    name: 'the key itself may be continued',
    text: 'rtmp_\\\n  push=1',
    entries: [{ key: 'rtmp_push', value: '1', line: 1 }],
  },
  { name: 'a backslash at the very end of the input is dropped', text: 'a=b\\', entries: [{ key: 'a', value: 'b', line: 1 }] },

  // Line ends and lines.
  {
    name: 'LF, CRLF and CR line ends, with line numbers',
    text: 'a=1\r\nb=2\rc=3\nd=4',
    entries: [
      { key: 'a', value: '1', line: 1 },
      { key: 'b', value: '2', line: 2 },
      { key: 'c', value: '3', line: 3 },
      { key: 'd', value: '4', line: 4 },
    ],
  },
  {
    name: 'continuation across CRLF; the next entry keeps its own line number',
    text: 'a=x\\\r\n   y\r\nb=z',
    entries: [
      { key: 'a', value: 'xy', line: 1 },
      { key: 'b', value: 'z', line: 3 },
    ],
  },
  { name: 'a UTF-8 byte order mark is not part of the first key', text: '\uFEFFkey=v', entries: [{ key: 'key', value: 'v', line: 1 }] },
  {
    name: 'duplicates are all kept, in order',
    text: 'a=1\na=2',
    entries: [
      { key: 'a', value: '1', line: 1 },
      { key: 'a', value: '2', line: 2 },
    ],
  },
];

describe('parseProperties', () => {
  test.each(GOLDEN)('$name', ({ text, entries }) => {
    expect(parseProperties(text)).toEqual(entries);
  });

  test.each([
    ['a=1\nb=\\u00zz', 2],
    ['a=\\u12', 1],
    ['\n\nk\\uXYZW=1', 3],
    ['a=ok\\\n  \\u', 1],
  ])('a malformed \\u escape is an error naming the line (%j)', (text, line) => {
    let caught: unknown;
    try {
      parseProperties(text);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(PropertiesSyntaxError);
    expect((caught as PropertiesSyntaxError).line).toBe(line);
    expect((caught as PropertiesSyntaxError).message).toMatch(new RegExp(`^line ${line}: malformed \\\\uXXXX`));
  });

  test('random text gives entries or a PropertiesSyntaxError, never another exception', () => {
    let seed = 0x5eed;
    const random = (): number => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return seed / 0x1_0000_0000;
    };
    const alphabet = ['\\', 'u', '0', 'a', '=', ':', ' ', '\t', '\n', '\r', '#', '!', 'f', 'x', '\uFEFF', '\u0000', 'é'];
    for (let n = 0; n < 2000; n++) {
      const length = Math.floor(random() * 60);
      let text = '';
      for (let i = 0; i < length; i++) {
        text += random() < 0.8 ? alphabet[Math.floor(random() * alphabet.length)] : String.fromCharCode(Math.floor(random() * 0xffff));
      }
      try {
        const entries = parseProperties(text);
        if (entries.some((e) => typeof e.key !== 'string' || typeof e.value !== 'string' || e.line < 1)) {
          throw new Error(`bad entry from ${JSON.stringify(text)}`);
        }
      } catch (err) {
        if (!(err instanceof PropertiesSyntaxError)) throw err;
      }
    }
  });
});

describe('formatPropertyLine', () => {
  test.each([
    ['plain', 'value'],
    ['rtmp_push_auto_start_url', 'rtmp://a.rtmp.youtube.com:1935/live2/key'],
    ['my key', ' leading and trailing  '],
    ['a=b:c#d!e', 'x=y:z#!'],
    ['back\\slash', 'C:\\ffmpeg\\bin\\ffmpeg.exe'],
    ['#comment-like', '!also'],
    ['tabs\t', '\tline\nbreak\r\f'],
    ['ctl', '\u0001\u007f'],
    ['unicode', 'привет ✓'],
    ['empty', ''],
  ])('%j = %j reads back unchanged', (key, value) => {
    expect(parseProperties(formatPropertyLine(key, value))).toEqual([{ key, value, line: 1 }]);
  });

  test('values keep URLs readable: only keys escape = and :', () => {
    expect(formatPropertyLine('a:b', 'rtmp://h:1935/x=y')).toBe('a\\:b=rtmp://h:1935/x=y');
  });
});
