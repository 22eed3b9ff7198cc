/**
 * Writes the "API under load" section of docs/BENCHMARKS.md again from a run's raw results,
 * without running anything:
 *   node --import tsx bench/api/render.ts bench/results/api-<time>.json
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderApiSection, type ApiBenchResults } from './report.ts';
import { replaceSection } from './section.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const file = process.argv[2];
if (!file) throw new Error('usage: node --import tsx bench/api/render.ts bench/results/api-<time>.json');
const results = JSON.parse(await readFile(file, 'utf8')) as ApiBenchResults;
const docs = path.join(ROOT, 'docs', 'BENCHMARKS.md');
await writeFile(docs, replaceSection(await readFile(docs, 'utf8'), renderApiSection(results, path.relative(ROOT, path.resolve(file)))));
console.log('the "API under load" section of docs/BENCHMARKS.md written from', file);
