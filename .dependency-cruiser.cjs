/**
 * Imports point down (`npm run deps`, part of `npm test`): no cycles, and no module imports a
 * layer above its own. From the bottom: shared/ (used by server and browser alike); config,
 * errors, log; db/ and storage/; auth/ and uploads/; media/; seed/ (the seed's endpoints, an
 * adapter over uploads and media); web/ (pages); app.ts, server.ts, cli.ts on top. client/ is
 * the browser's: it imports only itself and shared/, and the server never imports it. Tests
 * may import what they test, from any layer.
 */
const TESTS = '\\.test\\.ts$';
const TOP = '^src/(app|server|cli|cli-args|cli-context|cli-integrations)\\.ts$';

/** A rule: modules matching `from` (tests aside) must not import modules matching `to`. */
const layer = (name, comment, from, to) => ({ name, comment, severity: 'error', from: { path: from, pathNot: TESTS }, to: { path: to } });

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'A cycle: two modules that each need the other are one module, or one of them is in the wrong layer.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    layer('shared-imports-nothing', 'shared/ is imported by the server and the browser: it imports nothing of the app.', '^src/shared/', '^src/(?!shared/)'),
    layer('client-stays-in-the-browser', 'client/ is bundled for the browser: it imports only client/ and shared/.', '^src/client/', '^src/(?!client/|shared/)'),
    layer('server-never-imports-client', 'The server bundles client/ for the browser (web/assets.ts) but never imports it.', '^src/(?!client/)', '^src/client/'),
    layer('nothing-imports-the-top', 'app.ts, server.ts and cli*.ts assemble the rest; nothing below imports them.', `^src/(?!(app|server|cli|cli-args|cli-context|cli-integrations)\\.ts$)`, TOP),
    layer(
      'basics-stay-basic',
      'config, errors, log, metrics, the app context and the HTTP error mapping sit under every layer.',
      '^src/(config|errors|log|metrics|context|http-errors)\\.ts$',
      '^src/(auth|uploads|media|seed|web|ops)/',
    ),
    layer('db-at-the-bottom', 'db/ knows the schema and migrations, nothing above.', '^src/db/', '^src/((storage|auth|uploads|media|seed|web|ops)/|(context|http-errors)\\.ts$)'),
    layer('storage-below-the-services', 'storage/ is the driver contract and its drivers: no service, route or page.', '^src/storage/', '^src/(db|auth|uploads|media|seed|web|ops)/'),
    layer('auth-below-the-services', 'auth/ is the plugin and services of accounts; its pages are in web/.', '^src/auth/', '^src/(uploads|media|seed|web|ops)/'),
    layer('api-beside-auth', 'api/ registers routes from the operations list and renders their document: the services above use it.', '^src/api/', '^src/(uploads|media|seed|web|ops|webhooks)/'),
    layer('uploads-below-media', 'uploads/ is the tickets; media and the seed build on it.', '^src/uploads/', '^src/(media|seed|web|ops)/'),
    layer('webhooks-below-media', 'webhooks/ is the outbox and its delivery: media writes to it in its transactions; it knows no service above.', '^src/webhooks/', '^src/(auth|uploads|media|seed|web|ops)/'),
    layer('media-below-seed-and-web', 'media/ is the records; the seed and the pages build on it.', '^src/media/', '^src/(seed|web|ops)/'),
    layer('seed-below-web', 'seed/ adapts the seed API to uploads and media.', '^src/seed/', '^src/(web|ops)/'),
    layer('web-uses-services', 'web/ renders pages from the services; the seed adapter and the operator tools are not among them.', '^src/web/', '^src/(seed|ops)/'),
    layer('ops-beside-the-app', 'ops/ is the operator tools over config, db and storage.', '^src/ops/', '^src/(auth|uploads|media|seed|web)/'),
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // Type-only imports count too: a type from a layer above is still an upward dependency.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};
