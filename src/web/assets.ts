import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

declare module 'fastify' {
  interface FastifyInstance {
    /** The URLs of the page's script and style sheet, named by content hash. */
    assets: { script: string; style: string };
  }
}

const CLIENT_ENTRY = fileURLToPath(new URL('../client/main.ts', import.meta.url));
const STYLE_SHEET = fileURLToPath(new URL('./styles.css', import.meta.url));

interface Asset {
  path: string;
  type: string;
  body: Buffer;
}

/** Bundles the browser client once at start-up (about 0.1 s), so users have no build step. */
async function bundleAssets(): Promise<Asset[]> {
  const result = await build({
    entryPoints: [CLIENT_ENTRY],
    bundle: true,
    format: 'esm',
    target: ['chrome110', 'firefox110', 'safari16'],
    minify: true,
    sourcemap: false,
    write: false,
    logLevel: 'silent',
  });
  const script = Buffer.from(result.outputFiles[0]!.contents);
  const style = await readFile(STYLE_SHEET);
  const hashed = (name: string, ext: string, body: Buffer) => `/assets/${name}.${createHash('sha256').update(body).digest('hex').slice(0, 12)}.${ext}`;
  return [
    { path: hashed('app', 'js', script), type: 'text/javascript; charset=utf-8', body: script },
    { path: hashed('app', 'css', style), type: 'text/css; charset=utf-8', body: style },
  ];
}

export const assetRoutes = fp(async (app: FastifyInstance) => {
  const [script, style] = await bundleAssets();
  app.decorate('assets', { script: script!.path, style: style!.path });
  for (const asset of [script!, style!]) {
    app.get(asset.path, (_request, reply) =>
      reply.type(asset.type).header('cache-control', 'public, max-age=31536000, immutable').send(asset.body),
    );
  }
});
