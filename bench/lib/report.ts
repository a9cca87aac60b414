/**
 * What a benchmark hands to the report: a titled table and notes. bench/run.ts (the
 * integrator's) joins the sections of every benchmark into one markdown report.
 */

export interface BenchSection {
  title: string;
  rows: Array<Record<string, string | number>>;
  notes: string[];
}

function cell(v: string | number | undefined): string {
  if (v === undefined) return '';
  return String(v).replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

/** A GitHub markdown table; the columns are the union of the rows' keys, in first-seen order. */
export function markdownTable(rows: Array<Record<string, string | number>>): string {
  if (rows.length === 0) return '(no rows)';
  const columns: string[] = [];
  for (const row of rows) for (const k of Object.keys(row)) if (!columns.includes(k)) columns.push(k);
  const lines = [
    `| ${columns.map(cell).join(' | ')} |`,
    `| ${columns.map((c) => (typeof rows.find((r) => r[c] !== undefined)?.[c] === 'number' ? '---:' : '---')).join(' | ')} |`,
    ...rows.map((r) => `| ${columns.map((c) => cell(r[c])).join(' | ')} |`),
  ];
  return lines.join('\n');
}

export function renderSection(section: BenchSection): string {
  const notes = section.notes.map((n) => `- ${n}`).join('\n');
  return `## ${section.title}\n\n${markdownTable(section.rows)}\n${notes ? `\n${notes}\n` : ''}`;
}

/** Rounds to `digits` decimals; a number stays a number for the table. */
export function round(value: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
