/**
 * The tus peer for the benchmark: @tus/server with its file store, at its defaults, in a
 * process of its own (so its CPU and memory are its own), on 127.0.0.1. Uploads go under
 * `/files/` to TUS_DIR. Started by bench/run.ts with `fork`.
 */
import http from 'node:http';
import { FileStore } from '@tus/file-store';
import { Server } from '@tus/server';

const directory = process.env.TUS_DIR;
const port = Number(process.env.TUS_PORT);
if (!directory || !port) throw new Error('TUS_DIR and TUS_PORT must be set');

const tus = new Server({ path: '/files', datastore: new FileStore({ directory }) });
const server = http.createServer((req, res) => void tus.handle(req, res));
server.listen(port, '127.0.0.1', () => process.send!({ ready: true, endpoint: `http://127.0.0.1:${port}/files` }));
process.on('disconnect', () => server.close(() => process.exit(0)));
