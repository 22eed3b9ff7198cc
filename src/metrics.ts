/**
 * The process's Prometheus metrics, declared once: every layer counts into these and
 * `GET /metrics` (ops/probe-routes.ts) renders the registry. One registry per process, as Prometheus
 * scrapes per instance; the process's own figures (memory, event loop) come with it.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

export const registry = new Registry();
collectDefaultMetrics({ register: registry, prefix: 'airlift_process_' });

/** A counter in this registry, with its labels. */
const counter = <L extends string>(name: string, help: string, labelNames: readonly L[]) => new Counter({ name, help, labelNames, registers: [registry] });

const seconds = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export const httpRequests = counter('airlift_http_requests_total', 'HTTP requests answered, by route pattern (not the raw path), method and status.', ['route', 'method', 'status']);

export const httpDuration = new Histogram({
  name: 'airlift_http_request_duration_seconds',
  help: 'Time to answer an HTTP request, by route pattern and method.',
  labelNames: ['route', 'method'] as const,
  buckets: seconds,
  registers: [registry],
});

export const uploadsStarted = counter('airlift_uploads_started_total', 'Upload tickets opened, by kind.', ['kind']);

export const uploadsCompleted = counter('airlift_uploads_completed_total', 'Uploads completed and checked, by kind.', ['kind']);

export const uploadedBytes = counter('airlift_uploaded_bytes_total', 'Bytes of the uploads completed, by kind.', ['kind']);

export const uploadsFailed = counter('airlift_uploads_failed_total', 'Complete calls that failed, by error code.', ['code']);

export const completeDuration = new Histogram({
  name: 'airlift_upload_complete_duration_seconds',
  help: 'Time the complete call took (assembling and checking the stored object), by outcome.',
  labelNames: ['outcome'] as const,
  buckets: seconds,
  registers: [registry],
});

export const sweeps = counter('airlift_sweeps_total', 'Sweeps run by this process, by outcome (done, stopped_early, skipped: another instance held the lease, failed).', ['outcome']);

export const sweptItems = counter('airlift_swept_total', 'What the sweeps removed, by what it was.', ['what']);

export const webhookDeliveries = counter('airlift_webhook_deliveries_total', 'Webhook delivery attempts, by outcome (delivered; failed: to be retried; given_up).', ['outcome']);

export const webhookLag = new Histogram({
  name: 'airlift_webhook_delivery_lag_seconds',
  help: 'From the change to its webhook answered 2xx.',
  buckets: [0.1, 0.5, 1, 5, 30, 120, 600, 3600, 6 * 3600, 24 * 3600],
  registers: [registry],
});

export const webhookPending = new Gauge({
  name: 'airlift_webhook_deliveries_pending',
  help: 'Webhook deliveries neither answered 2xx nor given up yet (all instances), as this instance last counted them.',
  registers: [registry],
});

/** The seconds since `started` (a `performance.now()` reading). */
export const secondsSince = (started: number) => (performance.now() - started) / 1000;
