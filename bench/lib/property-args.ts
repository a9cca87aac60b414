/**
 * `--set key=value` on a bench's command line (repeatable): settings of the service under
 * measurement, as in flashphoner.properties, e.g. `--set aac_encoder_host=false`.
 */
export function propertyArgs(argv: readonly string[] = process.argv): Record<string, string> {
  const out: Record<string, string> = {};
  argv.forEach((a, i) => {
    if (a !== '--set') return;
    const pair = argv[i + 1] ?? '';
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new Error(`--set wants key=value, got "${pair}"`);
    out[pair.slice(0, eq).trim()] = pair.slice(eq + 1).trim();
  });
  return out;
}

/** The overrides as one line for a report ("" when none). */
export function describeProperties(props: Record<string, string>): string {
  return Object.entries(props).map(([k, v]) => `${k}=${v}`).join(', ');
}
