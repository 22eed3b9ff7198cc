/**
 * Writes docs/BENCHMARKS.md again from a run's raw results, without running anything:
 *   node --import tsx bench/render.ts bench/results/<time>.json
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { keepSection } from './api/section.ts';
import { renderReport, summarise, type BenchResults } from './report.ts';

const ROOT = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const file = process.argv[2];
if (!file) throw new Error('usage: node --import tsx bench/render.ts bench/results/<time>.json');
const results = JSON.parse(await readFile(file, 'utf8')) as BenchResults;
results.summary = summarise(results);
const docs = path.join(ROOT, 'docs', 'BENCHMARKS.md');
// The page keeps the section `npm run bench:api` writes.
await writeFile(docs, keepSection(await readFile(docs, 'utf8').catch(() => ''), renderReport(results, path.relative(ROOT, path.resolve(file)))));
console.log('docs/BENCHMARKS.md written from', file);
