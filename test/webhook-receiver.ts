/**
 * A site's webhook receiver for tests: a real HTTP server on 127.0.0.1 that keeps every request
 * (headers and body as sent) and answers with the status a test sets, verifying nothing itself:
 * tests verify signatures with the `standardwebhooks` library, as a site would.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import type { WebhookBody } from '../src/webhooks/events.ts';

export interface Received {
  headers: IncomingHttpHeaders;
  body: string;
  /** The status this request was answered with. */
  answered: number;
}

export class WebhookReceiver {
  readonly received: Received[] = [];
  /** The status the next requests get. */
  status = 200;
  private server: Server | null = null;
  private port = 0;

  /** Listens on `port` (a free one by default; the same one again after `close`). */
  async open(port = this.port): Promise<string> {
    this.server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (c: Buffer) => chunks.push(c));
      request.on('end', () => {
        this.received.push({ headers: request.headers, body: Buffer.concat(chunks).toString('utf8'), answered: this.status });
        response.writeHead(this.status).end();
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this.url;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/hooks/airlift`;
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** The requests answered 2xx, each verified with the endpoint's secret (throws on a bad signature). */
  verified(secret: string): (WebhookBody & { id: string })[] {
    const hook = new Webhook(secret);
    return this.received
      .filter((r) => r.answered >= 200 && r.answered < 300)
      .map((r) => ({ ...(hook.verify(r.body, r.headers as Record<string, string>) as WebhookBody), id: String(r.headers['webhook-id']) }));
  }

  /** Resolves once `count` requests were answered 2xx (or rejects after `timeoutMs`). */
  async waitForDelivered(count: number, timeoutMs = 30_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (this.received.filter((r) => r.answered < 300).length < count) {
      if (Date.now() > until) throw new Error(`only ${this.received.filter((r) => r.answered < 300).length} of ${count} webhooks delivered in ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}
