/**
 * Plain HTTP from Node for the load benchmark (node:http, keep-alive): JSON calls to the
 * API as a logged-in user, across one or more instances in turn (round robin), and streamed
 * bodies with an exact Content-Length, which signed PUTs need and fetch does not send for a
 * stream.
 */
import { createHash } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { Readable } from 'node:stream';
import type { Session } from '../../test/login.ts';

export interface Answer<T = unknown> {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: T;
}

export interface SendOptions {
  method?: string;
  headers?: Record<string, string | number>;
  body?: string | Buffer | Readable;
  agent?: http.Agent;
  /** Fails the request when no byte moves for this long. */
  idleMs?: number;
}

export const keepAlive = new http.Agent({ keepAlive: true });

/** One request; resolves with the response, its body still to read. */
export function send(url: string, options: SendOptions = {}): Promise<http.IncomingMessage> {
  const target = new URL(url);
  const client = target.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const request = client.request(target, { method: options.method ?? 'GET', headers: options.headers, agent: options.agent ?? keepAlive }, resolve);
    request.setTimeout(options.idleMs ?? 120_000, () => request.destroy(new Error(`${options.method ?? 'GET'} ${target.pathname}: no byte moved for ${(options.idleMs ?? 120_000) / 1000} s`)));
    request.once('error', reject);
    const body = options.body;
    if (body === undefined || typeof body === 'string' || Buffer.isBuffer(body)) request.end(body);
    else {
      body.once('error', (error) => request.destroy(error));
      body.pipe(request);
    }
  });
}

export async function readText(response: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of response) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** The SHA-256 (hex) and length of a response body, read as it streams. */
export async function hashBody(response: http.IncomingMessage): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of response) {
    hash.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
  return { sha256: hash.digest('hex'), bytes };
}

/** A user's client for the API of one or more instances behind the same database: each call goes to the next instance. */
export class ApiClient {
  calls = 0;
  #next = 0;

  constructor(
    readonly baseUrls: string[],
    readonly session: Session,
  ) {}

  /** The instance the next call goes to. */
  nextBase(): string {
    return this.baseUrls[this.#next++ % this.baseUrls.length]!;
  }

  headers(json: boolean): Record<string, string> {
    return { cookie: this.session.cookie, 'x-csrftoken': this.session.csrf, ...(json && { 'content-type': 'application/json' }) };
  }

  async call<T>(method: string, path: string, json?: unknown): Promise<Answer<T>> {
    this.calls++;
    const body = json === undefined ? undefined : JSON.stringify(json);
    const response = await send(this.nextBase() + path, { method, headers: this.headers(body !== undefined), body });
    const text = await readText(response);
    return { status: response.statusCode!, headers: response.headers, body: (text && response.headers['content-type']?.includes('json') ? JSON.parse(text) : text) as T };
  }

  /** A call that must answer `status`; else throws with what the server said. */
  async expect<T>(status: number, method: string, path: string, json?: unknown): Promise<T> {
    const answer = await this.call<T>(method, path, json);
    if (answer.status !== status) throw new Error(`${method} ${path.replace(/[0-9a-f-]{36}/, ':id')} answered ${answer.status}: ${JSON.stringify(answer.body).slice(0, 300)}`);
    return answer.body;
  }
}
