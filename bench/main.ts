// `npm run bench`: runs every bench/*.bench.ts (compiled) in turn and prints their figures.
// Each bench module exports `name` and `run(report)`; `npm run bench -- store` runs those whose
// name contains "store".
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export interface BenchReport {
  /** One figure: `value unit`, optionally with a goal it is compared against. */
  figure(label: string, value: number, unit: string, extra?: { goal?: string; note?: string }): void;
  log(line: string): void;
}

export interface BenchModule {
  name: string;
  run(report: BenchReport): Promise<void>;
}

const here = dirname(fileURLToPath(import.meta.url));
const filters = process.argv.slice(2);
const files = readdirSync(here)
  .filter((f) => f.endsWith('.bench.js'))
  .sort();

let failed = false;
for (const f of files) {
  const mod = (await import(pathToFileURL(join(here, f)).href)) as BenchModule;
  if (filters.length && !filters.some((x) => mod.name.includes(x))) continue;
  console.log(`\n== ${mod.name}`);
  const report: BenchReport = {
    figure(label, value, unit, extra) {
      const v = Number.isInteger(value) ? String(value) : value.toFixed(value < 10 ? 3 : 1);
      const goal = extra?.goal ? `   (goal ${extra.goal})` : '';
      const note = extra?.note ? `   ${extra.note}` : '';
      console.log(`  ${label.padEnd(58)} ${v.padStart(10)} ${unit}${goal}${note}`);
    },
    log(line) {
      console.log(`  ${line}`);
    },
  };
  try {
    await mod.run(report);
  } catch (err) {
    failed = true;
    console.error(`  bench ${mod.name} failed: ${err instanceof Error ? err.stack : String(err)}`);
  }
}
process.exitCode = failed ? 1 : 0;
