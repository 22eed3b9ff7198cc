/**
 * The OpenAPI document against the running app: it is valid OpenAPI 3.1; it lists exactly the
 * API routes the app registers; and the server agrees with it — the example requests it gives
 * pass validation, requests it says are wrong (a required field missing, a value of the wrong
 * type, a field a strict body does not know) are refused with 400, and every answer, success or
 * refusal, validates against the schema the document gives for its status.
 */
import { compileErrors, validate } from '@readme/openapi-parser';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsPlugin from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openApiPath } from '../src/api/openapi.ts';
import { createApiToken } from '../src/auth/api-tokens.ts';
import { apiClient, saveItem, uploadFile, type ApiCall } from './api-flow.ts';
import { startTestApp, type Session, type TestApp } from './harness.ts';

type Json = Record<string, unknown>;
interface Schema extends Json {
  $ref?: string;
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean;
  type?: string | string[];
}
interface Parameter {
  in: 'path' | 'query';
  name: string;
  required?: boolean;
  example?: unknown;
  schema: Schema;
}
interface DocumentedOperation {
  operationId: string;
  security: Record<string, string[]>[];
  parameters?: Parameter[];
  requestBody?: { content: { 'application/json': { schema: Schema; example?: unknown } } };
  responses: Record<string, { content?: { 'application/json': { schema: Schema } } }>;
}
interface Described {
  method: string;
  path: string;
  operation: DocumentedOperation;
}

// ajv-formats' CommonJS default export, as Node's ESM loader hands it over.
const addFormats = addFormatsPlugin as unknown as (ajv: Ajv2020) => Ajv2020;

let t: TestApp;
let admin: Session;
let editor: Session;
let readToken: string;
let document: { openapi: string; paths: Record<string, Record<string, DocumentedOperation>>; components: Json };
let operations: Described[];
const registered: { method: string; url: string; page: boolean }[] = [];
const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);

beforeAll(async () => {
  t = await startTestApp({
    onRoute: (route) => {
      for (const method of [route.method].flat()) registered.push({ method, url: route.url, page: route.config?.page === true });
    },
  });
  admin = await t.login('admin@example.com', { admin: true });
  editor = await t.login('editor@example.com');
  const { id: adminId } = await t.app.db.selectFrom('users').select('id').where('email', '=', 'admin@example.com').executeTakeFirstOrThrow();
  readToken = (await createApiToken(t.app.db, { userId: adminId, name: 'Reader', scope: 'read' })).token;
  const answer = await fetch(`${t.baseUrl}/api/v1/openapi.json`);
  expect(answer.status).toBe(200);
  document = (await answer.json()) as typeof document;
  operations = Object.entries(document.paths).flatMap(([path, methods]) => Object.entries(methods).map(([method, operation]) => ({ method: method.toUpperCase(), path, operation })));
  ajv.addSchema({ $id: 'openapi.json', components: document.components });
});

afterAll(async () => {
  await t?.close();
});

// ---- Checking against the document ---------------------------------------------------------

/** The document's `#/components/…` references, as seen from a schema compiled on its own. */
function anchored(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(anchored);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, key === '$ref' && typeof inner === 'string' && inner.startsWith('#/') ? `openapi.json${inner}` : anchored(inner)]));
  }
  return value;
}

const compiled = new WeakMap<object, ValidateFunction>();
function validator(schema: Schema): ValidateFunction {
  let check = compiled.get(schema);
  if (!check) compiled.set(schema, (check = ajv.compile(anchored(schema) as object)));
  return check;
}
const accepts = (schema: Schema, value: unknown) => validator(schema)(value);

/** The operation the document gives for a request, by its method and path. */
function described(method: string, path: string): Described | undefined {
  const bare = path.split('?')[0]!;
  return operations.find((d) => d.method === method && new RegExp(`^${d.path.replace(/\{\w+\}/g, '[^/]+')}$`).test(bare));
}

/** Asserts the answer is one the document gives for this operation: its status is listed, and its body fits that status's schema. */
async function expectDocumented(method: string, path: string, response: Response): Promise<{ status: number; body: unknown }> {
  const operation = described(method, path);
  expect(operation, `${method} ${path} is in the document`).toBeDefined();
  const text = await response.text();
  const documented = operation!.operation.responses[String(response.status)];
  expect(documented, `${method} ${path} answered ${response.status}, which the document does not list: ${text}`).toBeDefined();
  const schema = documented!.content?.['application/json']?.schema;
  if (!schema) {
    expect(text, `${method} ${path} ${response.status} has no content`).toBe('');
    return { status: response.status, body: undefined };
  }
  const body: unknown = JSON.parse(text);
  const check = validator(schema);
  expect(check(body), `${method} ${path} ${response.status}: ${ajv.errorsText(check.errors)} in ${text.slice(0, 500)}`).toBe(true);
  return { status: response.status, body };
}

/** A client for the api-flow functions that holds every answer to the document. */
function checkingClient(session: Session): ApiCall {
  const call = apiClient(t.baseUrl, { cookie: session.cookie, 'x-csrftoken': session.csrf });
  return async (method, path, json) => {
    const response = await call(method, path, json);
    await expectDocumented(method, path, response.clone());
    return response;
  };
}

// ---- Requests from the document -------------------------------------------------------------

interface Request {
  path: string;
  query: Record<string, string>;
  body?: unknown;
}

/** The request the document's examples make for an operation. */
function exampleRequest({ path, operation }: Described): Request {
  const parameters = operation.parameters ?? [];
  let filled = path;
  const query: Record<string, string> = {};
  for (const parameter of parameters) {
    if (parameter.in === 'path') {
      expect(parameter.example, `${operation.operationId}: an example for {${parameter.name}}`).toBeDefined();
      filled = filled.replace(`{${parameter.name}}`, encodeURIComponent(String(parameter.example)));
    } else if (parameter.example !== undefined) query[parameter.name] = String(parameter.example);
  }
  const content = operation.requestBody?.content['application/json'];
  if (content) expect(content.example, `${operation.operationId}: an example body`).toBeDefined();
  return { path: filled, query, body: content?.example };
}

function send(method: string, request: Request, headers: Record<string, string> = { cookie: admin.cookie, 'x-csrftoken': admin.csrf }): Promise<Response> {
  const search = new URLSearchParams(request.query).toString();
  return fetch(`${t.baseUrl}${request.path}${search ? `?${search}` : ''}`, {
    method,
    redirect: 'manual',
    headers: { ...headers, ...(request.body !== undefined && { 'content-type': 'application/json' }) },
    body: request.body === undefined ? undefined : JSON.stringify(request.body),
  });
}

/** Values of every JSON type: one the field's schema refuses is a value of the wrong type. */
const CANDIDATES: unknown[] = [12345, 'not of this type', true, ['a list'], { an: 'object' }, null];

/** The bodies the document says are wrong, each with what is wrong with it. */
function invalidBodies(body: Schema, example: Json): { why: string; body: Json }[] {
  const bodies: { why: string; body: Json }[] = [];
  for (const name of body.required ?? []) {
    const { [name]: _, ...without } = example;
    bodies.push({ why: `without the required ${name}`, body: without });
  }
  for (const [name, property] of Object.entries(body.properties ?? {})) {
    const wrong = CANDIDATES.find((value) => !accepts(property, value));
    if (wrong !== undefined) bodies.push({ why: `${name} as ${JSON.stringify(wrong)}`, body: { ...example, [name]: wrong } });
  }
  if (body.additionalProperties === false) bodies.push({ why: 'with a field it does not know', body: { ...example, not_a_field: 1 } });
  // Each is wrong by the document itself, not only by the server.
  for (const { why, body: wrong } of bodies) expect(accepts(body, wrong), why).toBe(false);
  return bodies;
}

// ---- The tests --------------------------------------------------------------------------

describe('the OpenAPI document', () => {
  it('is valid OpenAPI 3.1, served without a login and without setting a cookie', async () => {
    expect(document.openapi).toBe('3.1.0');
    const result = await validate(structuredClone(document) as never);
    expect(result.valid, result.valid ? '' : compileErrors(result)).toBe(true);
    const answer = await fetch(`${t.baseUrl}/api/v1/openapi.json`, { headers: { authorization: 'Bearer not-a-token' } });
    expect(answer.status).toBe(200);
    expect(answer.headers.getSetCookie()).toEqual([]);
  });

  it('lists every API route the app registers, and only those', () => {
    const api = registered.filter((route) => /^\/api\//.test(route.url) && !route.page && route.method !== 'HEAD').map((route) => `${route.method} ${openApiPath(route.url)}`);
    const documented = operations.map((d) => `${d.method} ${d.path}`);
    expect(api.length).toBeGreaterThan(20);
    expect([...api].sort()).toEqual([...documented].sort());
    expect(new Set(documented).size).toBe(documented.length);
  });

  it('says who may call: a session (with the CSRF header on writes) or a token of the right scope on /api/v1', () => {
    for (const { method, path, operation } of operations) {
      if (operation.operationId === 'openApi') {
        expect(operation.security).toEqual([]);
        continue;
      }
      const session = method === 'GET' ? { session: [] } : { session: [], csrf: [] };
      const token = path.startsWith('/api/v1/') ? [{ token: [method === 'GET' ? 'read' : 'write'] }] : [];
      expect(operation.security, operation.operationId).toEqual([session, ...token]);
    }
  });
});

describe('the server agrees with the document', () => {
  it('takes each example request (no 400), and answers as documented', async () => {
    for (const d of operations) {
      const response = await send(d.method, exampleRequest(d));
      const { status, body } = await expectDocumented(d.method, d.path, response);
      expect(status, `${d.operation.operationId}: ${JSON.stringify(body)}`).not.toBe(400);
    }
  });

  it('refuses with 400 invalid_request a body the document says is wrong', async () => {
    let refused = 0;
    for (const d of operations) {
      const content = d.operation.requestBody?.content['application/json'];
      if (!content) continue;
      const { path, query } = exampleRequest(d);
      for (const { why, body } of invalidBodies(content.schema, content.example as Json)) {
        const response = await send(d.method, { path, query, body });
        const answer = await expectDocumented(d.method, d.path, response);
        expect(answer.status, `${d.operation.operationId} ${why}: ${JSON.stringify(answer.body)}`).toBe(400);
        expect((answer.body as { error: { code: string } }).error.code, `${d.operation.operationId} ${why}`).toBe('invalid_request');
        refused++;
      }
    }
    expect(refused).toBeGreaterThan(40);
  });

  it('refuses with 400 a query without its required parameter, or a number that is not one', async () => {
    let refused = 0;
    for (const d of operations) {
      const request = exampleRequest(d);
      for (const parameter of (d.operation.parameters ?? []).filter((p) => p.in === 'query')) {
        const variants: Record<string, string>[] = [];
        if (parameter.required) {
          const { [parameter.name]: _, ...without } = request.query;
          variants.push(without);
        }
        if (parameter.schema.type === 'integer' || parameter.schema.type === 'number') variants.push({ ...request.query, [parameter.name]: 'abc' });
        for (const query of variants) {
          const answer = await expectDocumented(d.method, d.path, await send(d.method, { ...request, query }));
          expect(answer.status, `${d.operation.operationId} ${JSON.stringify(query)}`).toBe(400);
          refused++;
        }
      }
    }
    expect(refused).toBeGreaterThanOrEqual(3);
  });

  it('refuses as documented a caller who may not: no login, no CSRF token, an editor on admin operations, a read token on writes', async () => {
    const editorOnly = { cookie: editor.cookie, 'x-csrftoken': editor.csrf };
    for (const d of operations) {
      if (d.operation.security.length === 0) continue;
      const request = exampleRequest(d);
      const refusals: [string, Record<string, string>, number, string][] = [['no login', {}, 401, 'unauthorized']];
      if (d.method !== 'GET') refusals.push(['no CSRF token', { cookie: admin.cookie }, 403, 'csrf_failed']);
      if (d.path.startsWith('/api/v1/users') || d.path.startsWith('/api/v1/status')) refusals.push(['an editor', editorOnly, 403, 'admin_only']);
      if (d.path.startsWith('/api/v1/')) {
        refusals.push(['a wrong token', { authorization: 'Bearer airlift_wrong' }, 401, 'invalid_token']);
        if (d.method !== 'GET') refusals.push(['a read token', { authorization: `Bearer ${readToken}` }, 403, 'insufficient_scope']);
      }
      for (const [who, headers, status, code] of refusals) {
        const answer = await expectDocumented(d.method, d.path, await send(d.method, request, headers));
        expect([answer.status, (answer.body as { error: { code: string } }).error.code], `${d.operation.operationId}, ${who}`).toEqual([status, code]);
      }
    }
  });

  it('answers a whole upload flow, on the versioned API and the seed’s, as documented', async () => {
    const call = checkingClient(admin);
    const video = await saveItem(call, 'video');
    const photo = await saveItem(call, 'photo');
    for (const path of ['/api/v1/videos?limit=1', `/api/v1/videos/${video.id}`, '/api/v1/photos', `/api/v1/photos/${photo.id}`, '/api/v1/users', '/api/v1/status']) {
      expect((await call('GET', path)).status, path).toBe(200);
    }
    expect((await call('PATCH', `/api/v1/videos/${video.id}`, { title: 'Renamed' })).status).toBe(200);
    expect((await call('PATCH', `/api/v1/photos/${photo.id}`, { description: null })).status).toBe(200);
    // An upload's state, its part URL, and a cancel.
    const uploadId = await uploadFile(call, 'photo');
    expect((await call('GET', `/api/v1/uploads/${uploadId}`)).status).toBe(200);
    const created = await call('POST', '/api/v1/uploads', { filename: 'later.mp4', size: 1024, content_type: 'video/mp4', kind: 'video' });
    const { id } = (await created.json()) as { id: string };
    expect((await call('POST', `/api/v1/uploads/${id}/parts`, { part_numbers: [1] })).status).toBe(200);
    expect((await call('DELETE', `/api/v1/uploads/${id}`)).status).toBe(204);
    // The seed's three endpoints.
    const presigned = await call('GET', '/api/generate-presigned-url/?filename=seed.png&type=photo');
    const ticket = (await presigned.json()) as { presigned_url: string; file_key: string; headers: Record<string, string> };
    const { mediaBytes } = await import('./media-bytes.ts');
    expect((await fetch(ticket.presigned_url, { method: 'PUT', headers: ticket.headers, body: new Uint8Array(mediaBytes('image/png', 4096)) })).status).toBe(200);
    expect((await call('POST', '/api/save-photo-metadata/', { title: 'Seed', description: '', file_key: ticket.file_key, public_url: '' })).status).toBe(200);
    expect((await call('DELETE', `/api/v1/videos/${video.id}`)).status).toBe(204);
    expect((await call('DELETE', `/api/v1/photos/${photo.id}`)).status).toBe(204);
  });
});
