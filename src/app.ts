import cookie from '@fastify/cookie';
import formbody from '@fastify/formbody';
import helmet from '@fastify/helmet';
import type { Duplex } from 'node:stream';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest, type RouteOptions } from 'fastify';
import type { Kysely } from 'kysely';
import { adminRoutes } from './admin/routes.ts';
import { openApiRoutes } from './api/openapi-routes.ts';
import { authPlugin } from './auth/plugin.ts';
import type { Config, TrustProxy } from './config.ts';
import { migrate, openDatabase, type Database } from './db/index.ts';
import type { DB } from './db/schema.ts';
import { notFound, shuttingDown } from './errors.ts';
import { toAppError } from './http-errors.ts';
import { loggerOptions } from './log.ts';
import { mediaRoutes } from './media/routes.ts';
import { httpDuration, httpRequests } from './metrics.ts';
import { probeRoutes } from './ops/probe-routes.ts';
import type { StorageDriver } from './storage/driver.ts';
import { storagePlugin } from './storage/plugin.ts';
import { seedRoutes } from './seed/routes.ts';
import { uploadRoutes } from './uploads/routes.ts';
import { renderErrorPage } from './web/pages/error.ts';
import { authRoutes } from './web/auth-routes.ts';
import { pageRoutes } from './web/routes.ts';
import { adminPageRoutes } from './web/admin-routes.ts';
import { apiDocsRoutes } from './web/api-docs-routes.ts';
import { assetRoutes } from './web/assets.ts';
import { i18nPlugin } from './web/i18n-plugin.ts';

declare module 'fastify' {
  interface FastifyInstance {
    config: Config;
    db: Kysely<DB>;
    /** The time the login throttle goes by (tests move it). */
    clock: () => Date;
  }
  interface FastifyContextConfig {
    /** Errors on this route render as an HTML page rather than JSON. */
    page?: boolean;
  }
}

export interface AppParts {
  /** An open database; when absent the app opens (and closes) the configured one. */
  database?: Database;
  /** A storage driver; when absent the app creates (and closes) the configured one. */
  storage?: StorageDriver;
  /** false for no logs; a stream to capture them (tests); else JSON lines on standard output. */
  logger?: boolean | { write(line: string): void };
  /** The login throttle's clock; the system's by default (tests move it instead of waiting). */
  clock?: () => Date;
  /** Told of every route as it is registered (the OpenAPI test holds the list to the document). */
  onRoute?: (route: RouteOptions) => void;
}

/** The whole application, ready for `listen()` or `inject()`. */
export async function buildApp(config: Config, parts: AppParts = {}): Promise<FastifyInstance> {
  const database = parts.database ?? (await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, command: 'airlift serve' }));
  try {
    await migrate(database.db);
  } catch (error) {
    if (!parts.database) await database.close();
    throw error;
  }

  const app = Fastify({
    logger: parts.logger === false ? false : { ...loggerOptions(config.logLevel), ...(typeof parts.logger === 'object' && { stream: parts.logger }) },
    // X-Forwarded-* are believed only from the proxies TRUST_PROXY names: the client address
    // (the login throttle's), scheme and host come from them only then.
    trustProxy: fastifyTrustProxy(config.trustProxy),
    // Signed URLs and keys are long; Fastify's default of 100 characters is too short.
    routerOptions: { maxParamLength: 2048 },
    // Fastify's own refusals before routing (a malformed URL, a path segment past that limit).
    frameworkErrors: (error, request, reply) => sendError(error, request, reply, wantsPage(request)),
    // Requests Node's HTTP parser refuses before Fastify sees them answer in the one shape too.
    clientErrorHandler: answerMalformedRequest,
    // Requests arriving while the server shuts down are answered below, in the app's own shape.
    return503OnClosing: false,
  });
  app.decorate('config', config);
  app.decorate('db', database.db);
  app.decorate('clock', parts.clock ?? (() => new Date()));
  if (parts.onRoute) app.addHook('onRoute', parts.onRoute);
  app.addHook('onClose', async () => {
    if (!parts.database) await database.close();
  });

  app.setErrorHandler((error, request, reply) => sendError(error, request, reply, request.routeOptions.config.page === true));
  // From `close()` on, a request on a kept-alive connection is turned away at once (Fastify
  // adds `Connection: close`); the requests already in flight go on (server.ts bounds them).
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onRequest', async (request, reply) => {
    if (!closing) return;
    reply.header('retry-after', '5');
    return sendError(shuttingDown(), request, reply, wantsPage(request));
  });
  // Counted by route pattern (`/api/v1/uploads/:id`), so the series stay few whatever the paths.
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    httpRequests.inc({ route, method: request.method, status: String(reply.statusCode) });
    httpDuration.observe({ route, method: request.method }, reply.elapsedTime / 1000);
  });
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0]!;
    const shown = path.length > 100 ? `${path.slice(0, 100)}…` : path;
    // Fastify answers a known path with another method by 404 too: there is no 405 to give.
    return sendError(notFound(`No route for ${request.method} ${shown}.`), request, reply, wantsPage(request));
  });

  await app.register(cookie);
  // Before the store's routes too: a browser's 404 page speaks the reader's language.
  await app.register(i18nPlugin);
  await app.register(helmet, { contentSecurityPolicy: { directives: contentSecurityPolicy(config) }, crossOriginEmbedderPolicy: false });
  try {
    // `app.storage`, and the store's own endpoints if it has them (authorised by their signatures alone).
    await app.register(storagePlugin, { storage: parts.storage });
  } catch (error) {
    await app.close();
    throw error;
  }
  await app.register(assetRoutes);
  await app.register(probeRoutes);
  await app.register(openApiRoutes);

  // Everything below needs sessions and CSRF; the store's routes above are authorised by their signature alone.
  await app.register(async (scope) => {
    await scope.register(formbody);
    await scope.register(authPlugin);
    await scope.register(authRoutes);
    await scope.register(seedRoutes);
    await scope.register(uploadRoutes);
    await scope.register(mediaRoutes);
    await scope.register(adminRoutes);
    await scope.register(pageRoutes);
    await scope.register(adminPageRoutes);
    await scope.register(apiDocsRoutes);
  });
  return app;
}

/**
 * TRUST_PROXY as Fastify takes it. A hop count becomes a function: Fastify 5.12 trusts no hop
 * when given a number (it cannot check the peer), so "the N nearest hops" is spelled out as
 * proxy-addr reads a trust function, hop 0 being the socket's peer.
 */
function fastifyTrustProxy(trust: TrustProxy): boolean | string[] | ((address: string, hop: number) => boolean) {
  if (typeof trust === 'number') return (_address, hop) => hop < trust;
  return trust;
}

/** Every error, in the one shape `toAppError` gives: the app's HTML error page on pages, else `{error: {code, message}}`. */
function sendError(error: unknown, request: FastifyRequest, reply: FastifyReply, page: boolean) {
  const appError = toAppError(error);
  if (appError.status >= 500) request.log.error({ err: error }, 'request failed');
  else request.log.info({ code: appError.code, reason: appError.message }, 'request refused');
  if (appError.status === 429 && !reply.hasHeader('retry-after')) reply.header('retry-after', '60');
  reply.status(appError.status);
  if (page) return reply.type('text/html; charset=utf-8').send(renderErrorPage(request, appError));
  return reply.send({ error: { code: appError.code, message: appError.message } });
}

/** A request no route took is a page's when a browser GETs it outside the API, the store and the media redirects. */
function wantsPage(request: FastifyRequest): boolean {
  if (request.method !== 'GET' && request.method !== 'HEAD') return false;
  if (/^\/(api|store|media)(\/|$)/.test(request.url)) return false;
  return (request.headers.accept ?? '').includes('text/html');
}

/** The page may talk to the app and to the bucket (uploads, media), nothing else. */
function contentSecurityPolicy(config: Config) {
  const storage: string[] = [];
  if (config.r2) {
    const endpoint = new URL(config.r2.endpoint);
    storage.push(endpoint.origin);
    if (!config.r2.forcePathStyle) storage.push(`${endpoint.protocol}//${config.r2.bucket}.${endpoint.host}`);
    if (config.r2.cdnDomain) storage.push(`https://${config.r2.cdnDomain}`);
  }
  return {
    defaultSrc: ["'self'"],
    connectSrc: ["'self'", ...storage],
    imgSrc: ["'self'", 'data:', 'blob:', ...storage],
    mediaSrc: ["'self'", 'blob:', ...storage],
    formAction: ["'self'"],
    upgradeInsecureRequests: config.publicBaseUrl.startsWith('https:') ? [] : null,
  };
}

/** Answers a request that is not well-formed HTTP (Node's parser refused it) with `{error: {code, message}}`, then closes. */
function answerMalformedRequest(error: NodeJS.ErrnoException, socket: Duplex): void {
  if (!socket.writable) return void socket.destroy();
  const tooLarge = error.code === 'HPE_HEADER_OVERFLOW';
  const status = tooLarge ? 431 : 400;
  const body = JSON.stringify({
    error: tooLarge
      ? { code: 'headers_too_large', message: 'The request headers are larger than this server accepts.' }
      : { code: 'malformed_request', message: 'The request is not well-formed HTTP.' },
  });
  socket.end(
    `HTTP/1.1 ${status} ${tooLarge ? 'Request Header Fields Too Large' : 'Bad Request'}\r\nContent-Type: application/json; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}
