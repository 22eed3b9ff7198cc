/**
 * The storage failures operators and users actually meet, produced for real against the Ceph
 * RGW of the test run, each reaching the API user as its own clear message: wrong secret,
 * unknown key id, missing bucket, a store that goes away and comes back, an expired URL.
 */
import { randomBytes } from 'node:crypto';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { toAppError } from '../src/http-errors.ts';
import { storageErrorFrom } from '../src/storage/s3.ts';
import { TcpProxy } from './cut-proxy.ts';
import { freePort, startTestApp, type Session, type TestApp } from './harness.ts';
import { mediaBytes } from './media-bytes.ts';

const s3 = inject('s3');
const MiB = 1024 ** 2;
/** Above the single-PUT limit: creating the upload makes the server call CreateMultipartUpload. */
const MULTIPART_VIDEO = { filename: 'clip.mp4', size: 300 * MiB, content_type: 'video/mp4', kind: 'video' };

const apps: TestApp[] = [];
afterEach(async () => {
  for (const app of apps.splice(0)) await app.close();
});

async function s3App(env: Record<string, string>): Promise<{ app: TestApp; session: Session }> {
  // PostgreSQL: a fresh database is quicker than a first PGlite open, and the database is not what is tested here.
  const app = await startTestApp({ storage: 's3', database: 'postgres', env });
  apps.push(app);
  return { app, session: await app.login() };
}

type ErrorBody = { error: { code: string; message: string } };

describe('storage errors reach the API user as their own clear message', () => {
  const WRONG_SECRET = /rejected the request signature \((CreateMultipartUpload|HeadObject)\): check R2_SECRET_ACCESS_KEY/;
  const UNKNOWN_KEY = /^R2_ACCESS_KEY_ID is not a key the store at http:\/\/127\.0\.0\.1:\d+ knows/;
  const NO_BUCKET = /^There is no bucket "airlift-no-such-bucket" at .*: check R2_BUCKET_NAME/;

  it.each([
    ['a wrong secret', { R2_SECRET_ACCESS_KEY: 'wrong' }, 'storage_signature_mismatch', WRONG_SECRET],
    ['an unknown key id', { R2_ACCESS_KEY_ID: 'AIRLIFTNOSUCHKEY' }, 'storage_invalid_credentials', UNKNOWN_KEY],
    ['a missing bucket', { R2_BUCKET_NAME: 'airlift-no-such-bucket' }, 'storage_no_such_bucket', NO_BUCKET],
  ])('%s, when an upload starts', async (_name, env, code, message) => {
    const { app, session } = await s3App(env);
    const created = await app.request('POST', '/api/v1/uploads', { session, json: MULTIPART_VIDEO });
    expect(created.status).toBe(502);
    expect(((await created.json()) as ErrorBody).error).toEqual({ code, message: expect.stringMatching(message) });
  });

  /** The seed flow signs without asking the store; the browser's PUT fails, and the save then HEADs the object. */
  async function seedSave(app: TestApp, session: Session): Promise<Response> {
    const presigned = await app.request('GET', '/api/generate-presigned-url/?filename=a.jpg&type=photo', { session });
    expect(presigned.status).toBe(200);
    const { presigned_url, file_key } = (await presigned.json()) as { presigned_url: string; file_key: string };
    const put = await fetch(presigned_url, { method: 'PUT', headers: { 'content-type': 'image/jpeg' }, body: new Uint8Array(randomBytes(100)) });
    expect(put.status).toBeGreaterThanOrEqual(400); // the store itself refuses the browser
    return app.request('POST', '/api/save-photo-metadata/', { session, json: { title: 't', description: '', file_key } });
  }

  it.each([
    ['a wrong secret', { R2_SECRET_ACCESS_KEY: 'wrong' }, 'storage_signature_mismatch', WRONG_SECRET],
    ['an unknown key id', { R2_ACCESS_KEY_ID: 'AIRLIFTNOSUCHKEY' }, 'storage_invalid_credentials', UNKNOWN_KEY],
  ])('%s, when a seed upload is saved', async (_name, env, code, message) => {
    const { app, session } = await s3App(env);
    const saved = await seedSave(app, session);
    expect(saved.status).toBe(502);
    expect(((await saved.json()) as ErrorBody).error).toEqual({ code, message: expect.stringMatching(message) });
  });

  // Known gap, in S3Store.head: a HEAD answer has no body, so a missing bucket's 404 reads as a
  // missing object and the save says "The file has not reached the storage yet" (409). Once head()
  // tells the two apart (e.g. a ranged GET on 404, as explainForbidden does on 403), turn this into `it`.
  it('a missing bucket, when a seed upload is saved', async () => {
    const { app, session } = await s3App({ R2_BUCKET_NAME: 'airlift-no-such-bucket' });
    const saved = await seedSave(app, session);
    expect(((await saved.json()) as ErrorBody).error).toEqual({ code: 'storage_no_such_bucket', message: expect.stringMatching(NO_BUCKET) });
  });

  it('a store that goes away: 503 with a clear message, and the app recovers by itself when it is back', async () => {
    const rgw = new URL(s3.env.R2_ENDPOINT_URL);
    const proxy = new TcpProxy(Number(rgw.port));
    const port = await freePort();
    await proxy.open(port);
    try {
      const { app, session } = await s3App({ R2_ENDPOINT_URL: `http://127.0.0.1:${port}` });
      const first = await app.request('POST', '/api/v1/uploads', { session, json: MULTIPART_VIDEO });
      expect(first.status).toBe(201);
      const { id } = (await first.json()) as { id: string };

      await proxy.close();
      for (const [method, url, json] of [
        ['POST', '/api/v1/uploads', MULTIPART_VIDEO],
        ['GET', `/api/v1/uploads/${id}`, undefined], // resume asks the store for its parts
      ] as const) {
        const down = await app.request(method, url, { session, json });
        expect(down.status).toBe(503);
        const { error } = (await down.json()) as ErrorBody;
        expect(error.code).toBe('storage_unavailable');
        expect(error.message).toMatch(/^Cannot reach the store at http:\/\/127\.0\.0\.1:\d+ \((CreateMultipartUpload|ListParts)\): ECONN\w+\. Check R2_ENDPOINT_URL/);
      }

      await proxy.open(port);
      const back = await app.request('POST', '/api/v1/uploads', { session, json: MULTIPART_VIDEO });
      expect(back.status).toBe(201);
      expect((await app.request('GET', `/api/v1/uploads/${id}`, { session })).status).toBe(200);
    } finally {
      await proxy.close();
    }
  });

  it('an expired URL: the store refuses the PUT, and save or complete then says what happened', async () => {
    const { app, session } = await s3App({ UPLOAD_URL_EXPIRES: '1' });
    const body = new Uint8Array(mediaBytes('image/jpeg', 1000));
    const created = await app.request('POST', '/api/v1/uploads', { session, json: { filename: 'p.jpg', size: body.length, content_type: 'image/jpeg', kind: 'photo' } });
    expect(created.status).toBe(201);
    const upload = (await created.json()) as { id: string; url: string; headers: Record<string, string> };
    const seed = await app.request('GET', '/api/generate-presigned-url/?filename=q.jpg&type=photo', { session });
    const { presigned_url, file_key } = (await seed.json()) as { presigned_url: string; file_key: string };

    await new Promise((resolve) => setTimeout(resolve, 2_100));
    expect((await fetch(upload.url, { method: 'PUT', headers: upload.headers, body })).status).toBe(403);
    expect((await fetch(presigned_url, { method: 'PUT', headers: { 'content-type': 'image/jpeg' }, body })).status).toBe(403);

    const completed = await app.request('POST', `/api/v1/uploads/${upload.id}/complete`, { session, json: { parts: [] } });
    expect(completed.status).toBe(409);
    expect(((await completed.json()) as ErrorBody).error).toEqual({ code: 'object_missing', message: 'The file has not reached the storage yet: upload it first, then save.' });
    // The ticket outlives its URL: a fresh one is signed on demand, and the upload goes through.
    const resigned = await app.request('POST', `/api/v1/uploads/${upload.id}/parts`, { session, json: { part_numbers: [1] } });
    const [fresh] = ((await resigned.json()) as { parts: { url: string; headers: Record<string, string> }[] }).parts;
    expect((await fetch(fresh!.url, { method: 'PUT', headers: fresh!.headers, body })).status).toBe(200);
    expect((await app.request('POST', `/api/v1/uploads/${upload.id}/complete`, { session, json: { parts: [] } })).status).toBe(200);
    const saved = await app.request('POST', '/api/save-photo-metadata/', { session, json: { title: 't', description: '', file_key } });
    expect(saved.status).toBe(409);
    expect(((await saved.json()) as ErrorBody).error).toEqual({ code: 'object_missing', message: 'The file has not reached the storage yet: upload it first, then save.' });
  });

  it("a clock far off: RGW's own RequestTimeTooSkewed becomes a message that points at the clock", async () => {
    // The app's clock cannot move without faking time; a client 20 minutes ahead gets RGW's real refusal.
    const client = new S3Client({
      endpoint: s3.config.endpoint,
      region: 'auto',
      forcePathStyle: true,
      credentials: s3.config,
      systemClockOffset: 20 * 60_000,
      maxAttempts: 1,
    });
    const refusal = await client.send(new ListObjectsV2Command({ Bucket: s3.config.bucket })).then(
      () => null,
      (error: unknown) => error,
    );
    client.destroy();
    expect((refusal as { name?: string } | null)?.name).toBe('RequestTimeTooSkewed');
    const answer = toAppError(storageErrorFrom(refusal, { endpoint: s3.config.endpoint, bucket: s3.config.bucket, operation: 'ListObjectsV2' }));
    expect(answer.status).toBe(502);
    expect(answer.code).toBe('storage_clock_skew');
    expect(answer.message).toMatch(/refused the request because this server's clock is wrong: check the system clock \(NTP\)/);
  });
});
