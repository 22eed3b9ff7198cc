/**
 * A TCP relay in front of a server (the app, or the S3 gateway) that tests use to break the
 * network the way it really breaks: open connections reset, new ones refused, then back.
 * Chromium's offline mode and request interception cannot do this (an upload already
 * sending goes on), so the cut is made here.
 *
 * It also reads the HTTP/1.1 requests going through it (never changing them), so a test
 * can count the bytes of PUT bodies the server received — the only honest count of bytes
 * sent again, since Chromium silently re-sends a request cut on a reused connection — and
 * can cut at the moment a given request arrives.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';
import { seeded } from './seeded.ts';

/** One request seen on its way to the server. */
export interface ProxiedRequest {
  method: string;
  /** The request target as sent: a path with its query. */
  url: string;
  /** Body bytes passed on to the server so far. */
  bodyBytes: number;
  /** The body's declared length (Content-Length), or null for a chunked body. */
  contentLength: number | null;
  /** The status of the server's answer, once its first bytes came back. */
  status: number | null;
  /** When the request's head and the answer's first bytes went through (`performance.now()`). */
  sentAt: number;
  answeredAt: number | null;
}

interface Connection {
  client: Socket;
  upstream: Socket;
  reader: RequestReader;
  /** The request whose answer has not started yet. */
  awaiting: ProxiedRequest | null;
  /** The server's answer on this connection is thrown away, and the connection reset when it starts. */
  dropAnswer: boolean;
  /** `failAtRandom` chose this connection's request: nothing more of it is relayed. */
  failing?: boolean;
}

/** Resets a socket: the peer gets an RST, as from a broken network, not a polite close. */
function reset(socket: Socket): void {
  if (!socket.destroyed) socket.resetAndDestroy();
}

export class TcpProxy {
  #server: Server | null = null;
  readonly #connections = new Set<Connection>();
  #cut = false;
  /** Connections taken while silent, relayed once `restore` is called. */
  #waiting: Socket[] | null = null;
  #failRate = 0;
  #failOnly: (request: ProxiedRequest) => boolean = () => true;
  #random: () => number = Math.random;
  #held: Set<Connection> | null = null;
  #cutOn: { match: (request: ProxiedRequest) => boolean; resolve: (request: ProxiedRequest) => void } | null = null;
  #watchers: { test: () => boolean; resolve: () => void }[] = [];
  /** Every request seen since the proxy was made (or `forget()` was last called), in arrival order. */
  readonly requests: ProxiedRequest[] = [];
  /** Set when a request could not be followed (a chunked or oversized head): byte counts are then unreliable. */
  unparsed: string | null = null;

  constructor(private readonly target: number) {}

  /** Listens on `port`; connections are relayed to the target. */
  open(port: number): Promise<void> {
    const server = createServer((client) => this.#accept(client));
    this.#server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
  }

  /** Stops listening (new connections are refused) and cuts every open one. */
  async close(): Promise<void> {
    const server = this.#server;
    this.#server = null;
    for (const connection of this.#connections) this.#drop(connection);
    if (server) await new Promise((resolve) => server.close(resolve));
  }

  /** The network goes down: open connections are reset, new ones reset as soon as they arrive, until `restore`. */
  cut(): void {
    this.#cut = true;
    for (const connection of this.#connections) this.#drop(connection);
  }

  restore(): void {
    this.#cut = false;
    const waiting = this.#waiting;
    this.#waiting = null;
    if (waiting) {
      for (const connection of this.#connections) {
        connection.client.resume();
        connection.upstream.resume();
      }
      for (const client of waiting) if (!client.destroyed) this.#accept(client);
    }
  }

  /**
   * The server stops answering, as a stopped process or a network that drops packets does:
   * connections are still accepted, but nothing goes through either way, open ones included,
   * until `restore` (which lets everything held go on, as a process continued would).
   */
  silence(): void {
    this.#waiting ??= [];
    for (const connection of this.#connections) {
      connection.client.pause();
      connection.upstream.pause();
    }
  }

  /**
   * From now on each request (of those `only` picks) fails at random with probability `rate`
   * before it reaches the server: half of them reset as a broken connection would, half answered 503 by a
   * gateway. 0 turns it off. Counted in `failed`. Draws come from a generator seeded with
   * `seed`, so a run fails the same share of its requests each time.
   */
  failAtRandom(rate: number, only: (request: ProxiedRequest) => boolean = () => true, seed = 1): void {
    this.#failRate = rate;
    this.#failOnly = only;
    this.#random = seeded(seed);
  }

  /** Requests `failAtRandom` failed. */
  failed = 0;

  get isCut(): boolean {
    return this.#cut;
  }

  /**
   * Cuts the network when a request matching `match` arrives — but lets that request reach the
   * server, and throws its answer away: the server does the work, the client never hears of
   * it. Every other connection is reset at once and new ones refused until `restore`.
   */
  cutOn(match: (request: ProxiedRequest) => boolean): Promise<ProxiedRequest> {
    return new Promise((resolve) => (this.#cutOn = { match, resolve }));
  }

  /**
   * Freezes the requests sending a body now: nothing more of them is read, so what the server
   * received stays as it is while the test acts (reloads the page, closes the browser).
   * Other connections, and new ones, go on. `release` then cuts the frozen ones.
   */
  hold(): void {
    this.#held = new Set();
    for (const connection of this.#connections) {
      if (connection.awaiting?.method === 'PUT') {
        connection.client.pause();
        this.#held.add(connection);
      }
    }
  }

  /** Resets the connections `hold` froze: their requests were abandoned by the client meanwhile. */
  release(): void {
    for (const connection of this.#held ?? []) this.#drop(connection);
    this.#held = null;
  }

  /** Resolves as soon as `test` holds, checked after every chunk relayed either way (so the state is caught exactly then). */
  when(test: () => boolean): Promise<void> {
    if (test()) return Promise.resolve();
    return new Promise((resolve) => this.#watchers.push({ test, resolve }));
  }

  /** Bytes of PUT bodies the server received (all of them, or those of requests matching `filter`). */
  putBytes(filter: (request: ProxiedRequest) => boolean = () => true): number {
    let bytes = 0;
    for (const request of this.requests) if (request.method === 'PUT' && filter(request)) bytes += request.bodyBytes;
    return bytes;
  }

  /** PUT requests whose body is on its way or whose answer has not started: the ones a cut now would lose. */
  putsInFlight(): number {
    let count = 0;
    for (const connection of this.#connections) if (connection.awaiting?.method === 'PUT') count += 1;
    return count;
  }

  /** Forgets the requests seen so far, so the next counts start from zero. */
  forget(): void {
    this.requests.length = 0;
  }

  #accept(client: Socket): void {
    if (this.#waiting) {
      client.on('error', () => {});
      client.pause();
      this.#waiting.push(client);
      return;
    }
    if (this.#cut) {
      // Refused: the client's connect succeeds, then is reset before anything is relayed.
      client.on('error', () => {});
      reset(client);
      return;
    }
    const upstream = connect(this.target, '127.0.0.1');
    const connection: Connection = {
      client,
      upstream,
      awaiting: null,
      dropAnswer: false,
      reader: new RequestReader({
        onHead: (request) => {
          if (this.#failRate > 0 && this.#failOnly(request) && this.#random() < this.#failRate) {
            this.failed += 1;
            connection.failing = true;
            if (this.failed % 2 === 0) this.#drop(connection);
            else {
              client.end('HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nContent-Length: 19\r\nConnection: close\r\n\r\nService Unavailable');
              this.#connections.delete(connection);
              connection.upstream.destroy();
            }
            return;
          }
          this.requests.push(request);
          connection.awaiting = request;
          const cutOn = this.#cutOn;
          if (cutOn?.match(request)) {
            this.#cutOn = null;
            connection.dropAnswer = true;
            this.#cut = true;
            for (const other of this.#connections) if (other !== connection) this.#drop(other);
            cutOn.resolve(request);
          }
        },
        onUnparsed: (why) => (this.unparsed ??= why),
      }),
    };
    this.#connections.add(connection);
    for (const socket of [client, upstream]) {
      socket.on('error', () => this.#drop(connection));
      socket.on('close', () => this.#drop(connection));
    }
    client.on('data', (chunk: Buffer) => {
      connection.reader.feed(chunk);
      if (connection.failing) return;
      if (!upstream.write(chunk)) client.pause();
      this.#check();
    });
    upstream.on('drain', () => {
      if (!this.#held?.has(connection) && !this.#waiting) client.resume();
    });
    upstream.on('data', (chunk: Buffer) => {
      const answered = connection.awaiting;
      if (answered) {
        answered.status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(chunk.toString('latin1', 0, 16))?.[1] ?? 0);
        answered.answeredAt = performance.now();
        connection.awaiting = null;
      }
      if (connection.dropAnswer) this.#drop(connection);
      else if (!client.write(chunk)) upstream.pause();
      this.#check();
    });
    client.on('drain', () => {
      if (!this.#waiting) upstream.resume();
    });
    client.on('end', () => upstream.end());
    upstream.on('end', () => client.end());
  }

  #drop(connection: Connection): void {
    if (!this.#connections.delete(connection)) return;
    reset(connection.client);
    connection.upstream.destroy();
  }

  #check(): void {
    if (this.#watchers.length === 0) return;
    this.#watchers = this.#watchers.filter((watcher) => {
      if (!watcher.test()) return true;
      watcher.resolve();
      return false;
    });
  }
}


const HEAD_END = Buffer.from('\r\n\r\n');
const MAX_HEAD = 64 * 1024;

/** Follows the requests of one connection (heads and Content-Length bodies) without touching the bytes. */
class RequestReader {
  #head: Buffer = Buffer.alloc(0);
  #body: ProxiedRequest | null = null;
  #remaining = 0;
  #lost = false;

  constructor(private readonly events: { onHead(request: ProxiedRequest): void; onUnparsed(why: string): void }) {}

  feed(chunk: Buffer): void {
    let data = chunk;
    while (data.length > 0 && !this.#lost) {
      if (this.#body) {
        const take = Math.min(this.#remaining, data.length);
        this.#body.bodyBytes += take;
        this.#remaining -= take;
        data = data.subarray(take);
        if (this.#remaining === 0) this.#body = null;
        continue;
      }
      this.#head = this.#head.length ? Buffer.concat([this.#head, data]) : data;
      const end = this.#head.indexOf(HEAD_END);
      if (end < 0) {
        if (this.#head.length > MAX_HEAD) this.#lose('a request head larger than 64 KiB');
        return;
      }
      const lines = this.#head.toString('latin1', 0, end).split('\r\n');
      data = this.#head.subarray(end + HEAD_END.length);
      this.#head = Buffer.alloc(0);
      const [method = '', url = ''] = lines[0]!.split(' ');
      const header = (name: string) => lines.find((line) => line.toLowerCase().startsWith(`${name}:`))?.slice(name.length + 1).trim();
      const length = header('content-length');
      const request: ProxiedRequest = { method, url, bodyBytes: 0, contentLength: length === undefined ? 0 : Number(length), status: null, sentAt: performance.now(), answeredAt: null };
      if (header('transfer-encoding')) {
        request.contentLength = null;
        this.events.onHead(request);
        this.#lose(`a chunked body (${method} ${url})`);
        return;
      }
      this.events.onHead(request);
      if (request.contentLength! > 0) {
        this.#body = request;
        this.#remaining = request.contentLength!;
      }
    }
  }

  #lose(why: string): void {
    this.#lost = true;
    this.events.onUnparsed(why);
  }
}
