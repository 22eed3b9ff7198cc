/**
 * The reference for the API's throughput: Fastify at its defaults with one route, no
 * plugins, no logger. `npm run bench:api` starts it with BARE_PORT and measures `GET /`
 * the same way as Airlift's routes.
 */
import Fastify from 'fastify';

const app = Fastify();
app.get('/', async () => ({ hello: 'world' }));
await app.listen({ port: Number(process.env.BARE_PORT), host: '127.0.0.1' });
process.once('SIGTERM', () => void app.close().then(() => process.exit(0)));
