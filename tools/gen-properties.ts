/**
 * Writes the shipped flashphoner.properties from the settings table.
 *   npx tsx tools/gen-properties.ts           rewrite ./flashphoner.properties
 *   npx tsx tools/gen-properties.ts --check   exit 1 if the file differs from the table
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { renderDefaultProperties } from '../src/config/render-properties';

const target = join(__dirname, '..', 'flashphoner.properties');
const text = renderDefaultProperties();

if (process.argv.includes('--check')) {
  let current = '';
  try {
    current = readFileSync(target, 'utf8');
  } catch {
    // a missing file differs
  }
  if (current !== text) {
    console.error(`${target} is out of date: run npx tsx tools/gen-properties.ts`);
    process.exit(1);
  }
  console.log(`${target} matches the settings table`);
} else {
  writeFileSync(target, text);
  console.log(`wrote ${target}`);
}
