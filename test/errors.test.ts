/**
 * Every refusal in one shape: `{error: {code, message}}` on the API and the store's paths, the
 * app's error page on pages; Fastify's own refusals (before any handler runs) included. The
 * requests go out raw over HTTP so that a malformed URL reaches the server as it was written.
 */
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type Session, type TestApp } from './harness.ts';

let t: TestApp;
let session: Session;
beforeAll(async () => {
  t = await startTestApp();
  session = await t.login();
});
afterAll(() => t?.close());

interface Answer {
  status: number;
  type: string;
  body: string;
}

function send(method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<Answer> {
  const url = new URL(t.baseUrl);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: url.hostname, port: url.port, method, path, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode!, type: res.headers['content-type'] ?? '', body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const api = (method: string, path: string, body?: string, type = 'application/json') =>
  send(method, path, { cookie: session.cookie, 'x-csrftoken': session.csrf, ...(body !== undefined && { 'content-type': type }) }, body);
const page = (path: string) => send('GET', path, { cookie: session.cookie, accept: 'text/html,application/xhtml+xml,*/*;q=0.8' });

const upload = { filename: 'a.mp4', size: 10, content_type: 'video/mp4', kind: 'video' };
const long = 'a'.repeat(2_100);

describe('errors in JSON on API and store paths', () => {
  it.each([
    ['invalid JSON', () => api('POST', '/api/v1/uploads', '{"filename": '), 400, 'invalid_json', 'The request body is not valid JSON.'],
    ['an empty JSON body', () => api('POST', '/api/v1/uploads', ''), 400, 'invalid_json', 'The request body is empty, but its Content-Type says JSON.'],
    ['a JSON body of the wrong type', () => api('POST', '/api/v1/uploads', '[1, 2]'), 400, 'invalid_request', 'Expected an object, got a list.'],
    ['a body over the limit', () => api('POST', '/api/v1/uploads', JSON.stringify({ ...upload, filename: 'x'.repeat(2 * 1024 * 1024) })), 413, 'too_large', 'The request body is larger than this endpoint accepts.'],
    ['a body of a type no parser takes', () => api('POST', '/api/v1/uploads', '<upload/>', 'application/xml'), 415, 'unsupported_media_type', "This endpoint does not accept a body of the request's Content-Type."],
    ['a field of the wrong type', () => api('POST', '/api/v1/uploads', JSON.stringify({ ...upload, size: '10' })), 400, 'invalid_request', 'size: expected a whole number, got a string.'],
    ['a fraction for a whole number', () => api('POST', '/api/v1/uploads', JSON.stringify({ ...upload, size: 10.5 })), 400, 'invalid_request', 'size: expected a whole number, got 10.5.'],
    ['a missing field', () => api('POST', '/api/v1/uploads', JSON.stringify({ ...upload, size: undefined })), 400, 'invalid_request', 'size: is required.'],
    ['a value out of its set', () => api('POST', '/api/v1/uploads', JSON.stringify({ ...upload, kind: 'audio' })), 400, 'invalid_request', 'kind: expected "video", "photo", "cover" or "thumbnail", got "audio".'],
    ['an unknown field', () => api('POST', '/api/v1/uploads', JSON.stringify({ ...upload, colour: 'red' })), 400, 'invalid_request', 'Unknown field "colour".'],
    ['a list item out of range', () => api('POST', '/api/v1/uploads/00000000-0000-4000-8000-000000000000/parts', JSON.stringify({ part_numbers: [0] })), 400, 'invalid_request', 'part_numbers[0]: must be at least 1, got 0.'],
    ['malformed percent-encoding', () => api('GET', '/api/v1/uploads/%E0%A4%A'), 400, 'invalid_url', 'The URL is not valid: its path has a malformed percent-encoding.'],
    ['a 2,100-character path', () => api('GET', `/api/v1/uploads/${long}`), 414, 'uri_too_long', 'The URL is too long: a part of its path is longer than this server accepts.'],
    ['an unknown API route', () => api('GET', '/api/v1/nothing-here'), 404, 'not_found', 'No route for GET /api/v1/nothing-here.'],
    ['a wrong method', () => api('PUT', '/api/v1/uploads', JSON.stringify(upload)), 404, 'not_found', 'No route for PUT /api/v1/uploads.'],
    ['an unknown page asked without Accept: text/html', () => send('GET', '/nothing-here'), 404, 'not_found', 'No route for GET /nothing-here.'],
    ['a long unknown path, shortened in the message', () => send('GET', `/${long}`), 404, 'not_found', `No route for GET /${'a'.repeat(99)}….`],
    ['malformed percent-encoding on the store', () => page('/store/videos/%E0%A4%A.mp4'), 400, 'invalid_url', 'The URL is not valid: its path has a malformed percent-encoding.'],
    ['an unknown media key asked by a browser', () => page('/media'), 404, 'not_found', 'No route for GET /media.'],
  ])('%s', async (_name, request, status, code, message) => {
    const answer = await request();
    expect(answer.status).toBe(status);
    expect(answer.type).toMatch(/^application\/json/);
    expect(JSON.parse(answer.body)).toEqual({ error: { code, message } });
  });
});

describe('errors as the error page on pages', () => {
  it.each([
    ['an unknown page', '/nothing-here', 404, 'Not found', 'No route for GET /nothing-here.'],
    ['malformed percent-encoding', '/videos/%E0%A4%A', 400, 'That did not work', 'The URL is not valid: its path has a malformed percent-encoding.'],
    ['a 2,100-character path', `/videos/${long}`, 414, 'That did not work', 'The URL is too long: a part of its path is longer than this server accepts.'],
  ])('%s', async (_name, path, status, heading, message) => {
    const answer = await page(path);
    expect(answer.status).toBe(status);
    expect(answer.type).toBe('text/html; charset=utf-8');
    expect(answer.body).toMatch(/^<!doctype html>/);
    expect(answer.body).toContain(`<h1>${heading}</h1>`);
    expect(answer.body).toContain(`<p role="alert">${message.replace(/'/g, '&#39;')}</p>`);
    expect(answer.body).not.toContain(long);
  });
});
