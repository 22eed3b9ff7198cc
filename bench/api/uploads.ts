/**
 * The upload phase of one set-up: all the files at once (each with a few parts in flight),
 * the server side's CPU and peak memory over it, then every record and object checked, and
 * the records deleted (with their objects) so the next set-up starts from an empty store.
 */
import { cpuBetween, peaks, resetPeaks, sample } from '../procs.ts';
import { spread, type Spread } from '../stats.ts';
import type { Deployment } from './deploy.ts';
import type { JobFile } from './files.ts';
import { uploadFile, type UploadOutcome, type UploaderOptions } from './uploader.ts';
import { failures, verify, type Verification } from './verify.ts';

export interface UploadPhase {
  config: Deployment['id'];
  uploads: number;
  bytes: number;
  wallMs: number;
  /** 10^6 bytes per second, all uploads together. */
  mbps: number;
  /** Seconds per upload, from create to saved record. */
  uploadSeconds: Spread;
  apiCalls: number;
  puts: number;
  strategies: Record<string, number>;
  cpu: Record<string, number>;
  peakRss: Record<string, number>;
  verification: Verification;
  deleteFailures: number;
  failures: number;
  outcomes: UploadOutcome[];
}

export async function uploadPhase(deployment: Deployment, files: JobFile[], options: UploaderOptions, log: (...parts: unknown[]) => void): Promise<UploadPhase> {
  const bytes = files.reduce((sum, f) => sum + f.size, 0);
  log(`${deployment.id}: ${files.length} uploads at once, ${(bytes / 1e9).toFixed(2)} GB`);
  resetPeaks(deployment.groups);
  const before = sample(deployment.groups);
  const started = performance.now();
  const outcomes = await Promise.all(files.map((file) => uploadFile(file, deployment.api, options)));
  const wallMs = performance.now() - started;
  const cpu = cpuBetween(before, sample(deployment.groups));
  const peakRss = peaks(deployment.groups);
  const failed = outcomes.filter((o) => o.error).length;
  log(`${deployment.id}: uploads done in ${(wallMs / 1000).toFixed(1)} s (${failed} failed); reading every object back`);

  const verification = await verify(deployment.api, outcomes);
  log(`${deployment.id}: ${(verification.bytesChecked / 1e9).toFixed(2)} GB read back in ${(verification.ms / 1000).toFixed(1)} s, ${failures(verification)} problem(s)`);
  for (const problem of verification.problems.slice(0, 20)) log(`  ${problem}`);

  let deleteFailures = 0;
  for (const o of outcomes.filter((o) => o.recordId !== undefined)) {
    const answer = await deployment.api.call('DELETE', `/api/v1/${o.kind}s/${o.recordId}`);
    if (answer.status !== 204) deleteFailures++;
  }
  await deployment.collectGarbage();

  const strategies: Record<string, number> = {};
  for (const o of outcomes) {
    const plan = o.strategy ?? 'none';
    strategies[plan] = (strategies[plan] ?? 0) + 1;
  }
  return {
    config: deployment.id,
    uploads: files.length,
    bytes,
    wallMs,
    mbps: bytes / 1e6 / (wallMs / 1000),
    uploadSeconds: spread(outcomes.map((o) => o.ms / 1000)),
    apiCalls: outcomes.reduce((sum, o) => sum + o.apiCalls, 0),
    puts: outcomes.reduce((sum, o) => sum + o.puts, 0),
    strategies,
    cpu,
    peakRss,
    verification,
    deleteFailures,
    failures: failures(verification) + deleteFailures,
    outcomes,
  };
}
