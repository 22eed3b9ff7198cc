/**
 * A closed-loop load generator: `connections` clients on keep-alive connections, each
 * sending its next request as soon as the last answer is read, for `seconds`. Any answer
 * but the expected status counts as an error (a 429 from a rate limit too).
 */
import http from 'node:http';
import { readText, send } from './http.ts';

export interface LoadRequest {
  url: string;
  method: string;
  headers: Record<string, string | number>;
  body?: Buffer;
}

export interface LoadResult {
  requests: number;
  errors: number;
  /** Answers by status ("error" for a failed connection). */
  statuses: Record<string, number>;
  seconds: number;
  rps: number;
  /** Latency percentiles in ms. */
  p50: number;
  p99: number;
  /** The first unexpected answer, to see what went wrong. */
  firstError?: string;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export async function closedLoop(options: { connections: number; seconds: number; expect: number; next: (n: number) => LoadRequest }): Promise<LoadResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: options.connections });
  const statuses: Record<string, number> = {};
  const latencies: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  let sent = 0;
  const started = performance.now();
  const deadline = started + options.seconds * 1000;
  const client = async () => {
    while (performance.now() < deadline) {
      const request = options.next(sent++);
      const t0 = performance.now();
      let status: string;
      try {
        const response = await send(request.url, { method: request.method, headers: request.headers, body: request.body, agent, idleMs: 30_000 });
        const text = await readText(response);
        status = String(response.statusCode);
        if (response.statusCode !== options.expect) firstError ??= `${request.method} ${new URL(request.url).pathname} answered ${status}: ${text.slice(0, 200)}`;
      } catch (error) {
        status = 'error';
        firstError ??= error instanceof Error ? error.message : String(error);
      }
      latencies.push(performance.now() - t0);
      statuses[status] = (statuses[status] ?? 0) + 1;
      if (status !== String(options.expect)) errors++;
    }
  };
  await Promise.all(Array.from({ length: options.connections }, client));
  const seconds = (performance.now() - started) / 1000;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const ok = latencies.length - errors;
  return { requests: latencies.length, errors, statuses, seconds, rps: ok / seconds, p50: percentile(latencies, 50), p99: percentile(latencies, 99), ...(firstError && { firstError }) };
}
