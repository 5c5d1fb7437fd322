// Appends one benchmark run (a results JSON written by bench/run.mjs) to BENCHMARKS.md.
//   node bench/record.mjs [bench/results/latest.json]
import { readFileSync, appendFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { toMarkdown } from './report.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const file = path.resolve(process.argv[2] || path.join(ROOT, 'bench', 'results', 'latest.json'));
const target = path.join(ROOT, 'BENCHMARKS.md');

const results = JSON.parse(readFileSync(file, 'utf8'));
if (results.config.streamBytes < 20e6) {
  console.error('record: this is a --quick run (small stream, few runs); not recording it');
  process.exit(2);
}
if (!existsSync(target)) {
  console.error('record: BENCHMARKS.md is missing');
  process.exit(2);
}
const title = `### ${results.date.slice(0, 10)} — ${results.machine.commit}`;
appendFileSync(target, `\n${title}\n\n${toMarkdown(results)}`);
console.log(`record: appended "${title}" to BENCHMARKS.md`);
