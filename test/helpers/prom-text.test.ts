/**
 * The Prometheus text-format parser used by the metrics tests, checked against the
 * example exposition of the format's documentation (prometheus.io, "Exposition
 * formats", text format example) and against each rule of its "Text format details".
 */
import { Counter, Gauge, Registry } from 'prom-client';
import { parsePromText, parsePromValue, PromTextError, samplesOf } from './prom-text';

// The spec's own example, byte for byte (its comments and blank lines included).
const SPEC_EXAMPLE = [
  '# HELP http_requests_total The total number of HTTP requests.',
  '# TYPE http_requests_total counter',
  'http_requests_total{method="post",code="200"} 1027 1395066363000',
  'http_requests_total{method="post",code="400"}    3 1395066363000',
  '',
  '# Escaping in label values:',
  'msdos_file_access_time_seconds{path="C:\\\\DIR\\\\FILE.TXT",error="Cannot find file:\\n\\"FILE.TXT\\""} 1.458255915e9',
  '',
  '# Minimalistic line:',
  'metric_without_timestamp_and_labels 12.47',
  '',
  '# A weird metric from before the epoch:',
  'something_weird{problem="division by zero"} +Inf -3982045',
  '',
  '# A histogram, which has a pretty complex representation in the text format:',
  '# HELP http_request_duration_seconds A histogram of the request duration.',
  '# TYPE http_request_duration_seconds histogram',
  'http_request_duration_seconds_bucket{le="0.05"} 24054',
  'http_request_duration_seconds_bucket{le="0.1"} 33444',
  'http_request_duration_seconds_bucket{le="0.2"} 100392',
  'http_request_duration_seconds_bucket{le="0.5"} 129389',
  'http_request_duration_seconds_bucket{le="1"} 133988',
  'http_request_duration_seconds_bucket{le="+Inf"} 144320',
  'http_request_duration_seconds_sum 53423',
  'http_request_duration_seconds_count 144320',
  '',
  '# Finally a summary, which has a complex representation, too:',
  '# HELP rpc_duration_seconds A summary of the RPC duration in seconds.',
  '# TYPE rpc_duration_seconds summary',
  'rpc_duration_seconds{quantile="0.01"} 3102',
  'rpc_duration_seconds{quantile="0.05"} 3272',
  'rpc_duration_seconds{quantile="0.5"} 4773',
  'rpc_duration_seconds{quantile="0.9"} 9001',
  'rpc_duration_seconds{quantile="0.99"} 76656',
  'rpc_duration_seconds_sum 1.7560473e+07',
  'rpc_duration_seconds_count 2693',
  '',
].join('\n');

function errorOf(text: string): string {
  try {
    parsePromText(text);
  } catch (err) {
    if (err instanceof PromTextError) return err.message;
    throw err;
  }
  return 'parsed';
}

describe('Prometheus text format parser', () => {
  it('reads the example of the format documentation', () => {
    const families = parsePromText(SPEC_EXAMPLE);
    expect([...families.keys()]).toEqual([
      'http_requests_total',
      'msdos_file_access_time_seconds',
      'metric_without_timestamp_and_labels',
      'something_weird',
      'http_request_duration_seconds',
      'rpc_duration_seconds',
    ]);
    expect(families.get('http_requests_total')).toEqual({
      name: 'http_requests_total',
      type: 'counter',
      help: 'The total number of HTTP requests.',
      samples: [
        { name: 'http_requests_total', labels: { method: 'post', code: '200' }, value: 1027, timestampMs: 1395066363000 },
        { name: 'http_requests_total', labels: { method: 'post', code: '400' }, value: 3, timestampMs: 1395066363000 },
      ],
    });
    expect(families.get('msdos_file_access_time_seconds')?.samples).toEqual([
      { name: 'msdos_file_access_time_seconds', labels: { path: 'C:\\DIR\\FILE.TXT', error: 'Cannot find file:\n"FILE.TXT"' }, value: 1458255915 },
    ]);
    expect(families.get('metric_without_timestamp_and_labels')).toEqual({
      name: 'metric_without_timestamp_and_labels', type: 'untyped', samples: [{ name: 'metric_without_timestamp_and_labels', labels: {}, value: 12.47 }],
    });
    expect(families.get('something_weird')?.samples).toEqual([
      { name: 'something_weird', labels: { problem: 'division by zero' }, value: Infinity, timestampMs: -3982045 },
    ]);
    const histogram = families.get('http_request_duration_seconds')!;
    expect(histogram.type).toBe('histogram');
    expect(histogram.samples.map((s) => [s.name, s.labels.le, s.value])).toEqual([
      ['http_request_duration_seconds_bucket', '0.05', 24054],
      ['http_request_duration_seconds_bucket', '0.1', 33444],
      ['http_request_duration_seconds_bucket', '0.2', 100392],
      ['http_request_duration_seconds_bucket', '0.5', 129389],
      ['http_request_duration_seconds_bucket', '1', 133988],
      ['http_request_duration_seconds_bucket', '+Inf', 144320],
      ['http_request_duration_seconds_sum', undefined, 53423],
      ['http_request_duration_seconds_count', undefined, 144320],
    ]);
    const summary = families.get('rpc_duration_seconds')!;
    expect(summary.type).toBe('summary');
    expect(summary.samples.map((s) => s.name)).toEqual([...Array(5).fill('rpc_duration_seconds'), 'rpc_duration_seconds_sum', 'rpc_duration_seconds_count']);
    expect(summary.samples[5].value).toBe(17560473);
    expect(samplesOf(families)).toHaveLength(2 + 1 + 1 + 1 + 8 + 7);
    expect(samplesOf(families, 'http_')).toHaveLength(10);
  });

  it('reads values as Go\'s ParseFloat does: decimals, exponents, NaN and signed Inf in any case', () => {
    const cases: Array<[string, number | undefined]> = [
      ['0', 0], ['-0.5', -0.5], ['+3', 3], ['.5', 0.5], ['5.', 5], ['1e3', 1000], ['1.5E-3', 0.0015], ['-1.7560473e+07', -17560473],
      ['+Inf', Infinity], ['-Inf', -Infinity], ['Inf', Infinity], ['inf', Infinity], ['+infinity', Infinity], ['NaN', NaN], ['nan', NaN],
      ['', undefined], ['1,5', undefined], ['0x10', undefined], ['Infinite', undefined], ['1e', undefined], ['--1', undefined],
    ];
    for (const [text, value] of cases) expect([text, parsePromValue(text)]).toEqual([text, value]);
    const families = parsePromText('a NaN\nb -Inf 0\n');
    expect(families.get('a')?.samples[0].value).toBeNaN();
    expect(families.get('b')?.samples[0]).toEqual({ name: 'b', labels: {}, value: -Infinity, timestampMs: 0 });
  });

  it('undoes the escapes: \\\\ and \\n in HELP; \\\\, \\" and \\n in label values', () => {
    const text = '# HELP m A \\\\ backslash,\\na new line and a "quote" as is\nm{v="a\\\\b\\"c\\nd"} 1\n';
    const m = parsePromText(text).get('m')!;
    expect(m.help).toBe('A \\ backslash,\na new line and a "quote" as is');
    expect(m.samples[0].labels.v).toBe('a\\b"c\nd');
  });

  it('takes blanks and tabs between tokens, a trailing comma in labels, # HELP without a docstring, and comments', () => {
    const text = '  # a comment\n#HELP m\n# TYPE\tm gauge\n\t m { a = "1" , b="2", } \t 7 \t 100 \n\n';
    expect(parsePromText(text).get('m')).toEqual({ name: 'm', type: 'gauge', help: '', samples: [{ name: 'm', labels: { a: '1', b: '2' }, value: 7, timestampMs: 100 }] });
  });

  it('refuses what the format forbids, naming the line', () => {
    const cases: Array<[string, RegExp]> = [
      ['m 1', /last line must end with a line feed/],
      ['m{v="a\\tb"} 1\n', /line 1: invalid escape sequence "\\t" in label v/],
      ['# HELP m a \\" quote\n', /line 1: invalid escape sequence "\\"" in HELP/],
      ['m{v="open} 1\n', /unterminated value of label v/],
      ['m{v=1} 1\n', /expected a quoted value for label v/],
      ['m{v="1" w="2"} 1\n', /expected "," or "}"/],
      ['m{v="1",v="2"} 1\n', /label v given twice/],
      ['m{1v="1"} 1\n', /expected a label name/],
      ['m\n', /expected a value/],
      ['m one\n', /"one" is not a float/],
      ['m 1 2.5\n', /timestamp "2.5" is not an integer/],
      ['m 1 2 3\n', /at most a value and a timestamp/],
      ['9m 1\n', /expected a metric name/],
      ['# TYPE m gauge\n# TYPE m gauge\n', /line 2: a second TYPE for m/],
      ['# HELP m x\n# HELP m y\n', /line 2: a second HELP for m/],
      ['# TYPE m meter\n', /"meter" is not a metric type/],
      ['m 1\n# TYPE m gauge\n', /line 2: the TYPE of m comes after its samples/],
      ['m{a="1"} 1\nn 2\nm{a="2"} 3\n', /line 3: the lines of m are not one group/],
      ['m{a="1",b="2"} 1\nm{b="2",a="1"} 2\n', /line 2: m\{a="1",b="2"\} appears twice/],
    ];
    for (const [text, message] of cases) expect([text, errorOf(text)]).toEqual([text, expect.stringMatching(message)]);
  });

  it('reads back what prom-client writes, label values with \\, " and new lines included', async () => {
    const registry = new Registry();
    const odd = 'C:\\dir "quoted"\nnext line';
    new Counter({ name: 'x_total', help: 'help with \\ and\nnew line', labelNames: ['v'], registers: [registry] }).inc({ v: odd }, 5);
    new Gauge({ name: 'y', help: 'y', registers: [registry] }).set(NaN);
    const families = parsePromText(await registry.metrics());
    expect(families.get('x_total')).toEqual({ name: 'x_total', type: 'counter', help: 'help with \\ and\nnew line', samples: [{ name: 'x_total', labels: { v: odd }, value: 5 }] });
    expect(families.get('y')?.samples[0].value).toBeNaN();
  });
});
