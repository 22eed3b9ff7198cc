/**
 * What the benchmark's page script (bench/page-entry.ts, bundled with esbuild) exposes as
 * `window.airliftBench`, for bench/run.ts to call with `page.evaluate`. Each call uploads the
 * file chosen in the `<input type=file>` with the given id and answers the time taken inside
 * the page (performance.now(), from the first request to the upload being complete).
 */
export interface Outcome {
  ms: number;
  /** Requests the uploader made to Airlift's API (create, sign, complete…), when it made any. */
  apiCalls?: number;
  /** Milliseconds spent waiting for those calls, by method and path (calls in parallel add up). */
  apiMs?: Record<string, number>;
  /** Where the object was stored, so the runner can delete it. */
  key?: string;
}

export interface EngineOutcome extends Outcome {
  key: string;
  /** What the server chose for this file. */
  strategy: 'single' | 'multipart';
  partSize: number;
  partCount: number;
  /** The engine's concurrency for this upload (its default when none was asked for). */
  concurrency: number;
}

export interface BenchPage {
  /**
   * Airlift's engine, wired as the app's pages wire it; `concurrency` undefined for its
   * default; `partSize` (bytes) to ask the server for that part size instead of its own plan.
   */
  engine(inputId: string, options: { concurrency?: number; partSize?: number }): Promise<EngineOutcome>;
  /** One XMLHttpRequest PUT of the whole File to a presigned single-PUT URL. */
  xhrPut(inputId: string, url: string, headers: Record<string, string>): Promise<Outcome>;
  /** The same PUT, sent again from its first byte a second after each failure (the seed's page, retried by hand). */
  xhrPutRestarting(inputId: string, url: string, headers: Record<string, string>): Promise<Outcome & { restarts: number }>;
  /** Uppy (@uppy/core + @uppy/aws-s3 at their defaults), its Companion protocol answered by Airlift's API. */
  uppy(inputId: string): Promise<Outcome & { key: string; partSize: number }>;
  /** tus-js-client at its defaults against the tus server. */
  tus(inputId: string, endpoint: string): Promise<Outcome & { url: string }>;
}

declare global {
  interface Window {
    airliftBench: BenchPage;
  }
}
