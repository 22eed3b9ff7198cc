/**
 * Requests per second of the signing routes, beside a bare Fastify route measured the same
 * way in the same run: `POST /api/v1/uploads` (presign: a ticket in the database and a
 * signed single-PUT URL), `POST /api/v1/uploads/:id/parts` with 1 and with 8 part numbers
 * (sign-part), and the bare app's `GET /`. The windows are interleaved: every run takes
 * them all, in an order rotated by one from run to run.
 */
import os from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { cpuBetween, peaks, resetPeaks, sample, type Watched } from '../procs.ts';
import type { Deployment } from './deploy.ts';
import { closedLoop, type LoadRequest, type LoadResult } from './loadgen.ts';
import type { Server } from './servers.ts';
import { GiB, MiB, type ApiBenchSettings, type ConfigId } from './settings.ts';

export type Target = 'bare' | 'presign' | 'sign1' | 'sign8';

export const TARGET_LABELS: Record<Target, string> = {
  bare: 'bare Fastify `GET /`',
  presign: 'presign `POST /api/v1/uploads`',
  sign1: 'sign-part, 1 per call',
  sign8: 'sign-part, 8 per call',
};

export interface ThroughputMeasurement extends LoadResult {
  target: Target;
  config: ConfigId | null;
  /** 0 for the untimed warm-up. */
  run: number;
  /** CPU seconds by process group over the window, and of the load generator itself. */
  cpu: Record<string, number>;
  clientCpu: number;
  peakRss: Record<string, number>;
  load1: number;
}

interface Window {
  target: Target;
  config: ConfigId | null;
  groups: Watched[];
  next: (n: number) => LoadRequest;
}

const SIGN_UPLOAD = { filename: 'sign-throughput.mp4', size: 10 * GiB, content_type: 'video/mp4', kind: 'video', part_size: 16 * MiB };
const PRESIGN_BODY = Buffer.from(JSON.stringify({ filename: 'presign-throughput.mp4', size: 100_000_000, content_type: 'video/mp4', kind: 'video' }));

/** The windows of one deployment: a multipart upload of 640 parts is opened once for the signing routes. */
async function windowsOf(deployment: Deployment): Promise<{ windows: Window[]; close(): Promise<void> }> {
  const { api } = deployment;
  const upload = await api.expect<{ id: string; part_count: number }>(201, 'POST', '/api/v1/uploads', SIGN_UPLOAD);
  const headers = { ...api.headers(true) };
  const json = (body: unknown) => {
    const bytes = Buffer.from(JSON.stringify(body));
    return { headers: { ...headers, 'content-length': bytes.length }, body: bytes };
  };
  const sign = (batch: number) => (n: number) => {
    const first = ((n * batch) % (upload.part_count - batch + 1)) + 1;
    return { url: `${api.nextBase()}/api/v1/uploads/${upload.id}/parts`, method: 'POST', ...json({ part_numbers: Array.from({ length: batch }, (_, i) => first + i) }) };
  };
  const base = { config: deployment.id, groups: deployment.groups };
  return {
    windows: [
      { ...base, target: 'presign', next: () => ({ url: `${api.nextBase()}/api/v1/uploads`, method: 'POST', headers: { ...headers, 'content-length': PRESIGN_BODY.length }, body: PRESIGN_BODY }) },
      { ...base, target: 'sign1', next: sign(1) },
      { ...base, target: 'sign8', next: sign(8) },
    ],
    close: async () => void (await api.expect(204, 'DELETE', `/api/v1/uploads/${upload.id}`)),
  };
}

async function measure(window: Window, run: number, seconds: number, connections: number): Promise<ThroughputMeasurement> {
  resetPeaks(window.groups);
  const before = sample(window.groups);
  const client = process.cpuUsage();
  const result = await closedLoop({ connections, seconds, expect: window.target === 'presign' ? 201 : 200, next: window.next });
  const used = process.cpuUsage(client);
  const cpu = cpuBetween(before, sample(window.groups));
  return {
    ...result,
    target: window.target,
    config: window.config,
    run,
    cpu,
    clientCpu: (used.user + used.system) / 1e6,
    peakRss: peaks(window.groups),
    load1: os.loadavg()[0]!,
  };
}

/** The untimed first window of each route: long enough for V8 to have compiled the hot paths. */
export const warmupSeconds = (seconds: number) => Math.max(2, seconds);

function rotate<T>(items: T[], by: number): T[] {
  const k = items.length ? by % items.length : 0;
  return [...items.slice(k), ...items.slice(0, k)];
}

export async function measureThroughput(
  bare: Server,
  deployments: Deployment[],
  settings: Pick<ApiBenchSettings, 'runs' | 'seconds' | 'connections'>,
  log: (...parts: unknown[]) => void,
): Promise<ThroughputMeasurement[]> {
  const bareWindow: Window = {
    target: 'bare',
    config: null,
    groups: [{ name: 'app', pids: () => [bare.process.pid!] }],
    next: () => ({ url: `${bare.baseUrl}/`, method: 'GET', headers: {} }),
  };
  const opened = await Promise.all(deployments.map(windowsOf));
  const windows = [bareWindow, ...opened.flatMap((o) => o.windows)];
  const measurements: ThroughputMeasurement[] = [];
  try {
    for (let run = 0; run <= settings.runs; run++) {
      log(run === 0 ? `throughput: warm-up pass (${warmupSeconds(settings.seconds)} s windows, untimed)` : `throughput: run ${run}/${settings.runs}`);
      for (const window of rotate(windows, run)) {
        await sleep(500);
        const m = await measure(window, run, run === 0 ? warmupSeconds(settings.seconds) : settings.seconds, settings.connections);
        measurements.push(m);
        if (run > 0) log(`  ${(window.config ?? '').padEnd(5)} ${window.target.padEnd(8)} ${m.rps.toFixed(0).padStart(6)} req/s${m.errors ? `, ${m.errors} errors: ${m.firstError}` : ''}`);
      }
    }
  } finally {
    for (const o of opened) await o.close().catch((error: unknown) => log(`could not abort the signing upload: ${String(error)}`));
  }
  return measurements;
}
