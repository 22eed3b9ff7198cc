/**
 * A minimal Chromium driver for bench/send-methods.ts over the DevTools pipe
 * (`--remote-debugging-pipe`: JSON messages ending in NUL on file descriptors 3 and 4).
 * It enables no DevTools domain at all, the Network domain least: Playwright always
 * enables it, and then the browser process copies in-memory request bodies for the
 * inspector, which would be counted against the methods that send them.
 */
import { spawn } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';

export interface CdpBrowser {
  /** The browser's product and version, e.g. "Chrome/124.0.6367.60". */
  version: string;
  /** Navigates the page and waits until the document at `url` has loaded. */
  goto(url: string): Promise<void>;
  /** Chooses a local file in the page's file input, as a user would. */
  setInputFile(selector: string, file: string): Promise<void>;
  /** The value (JSON-serialisable) of a JavaScript expression in the page, promises awaited. */
  evaluate<T>(expression: string): Promise<T>;
  close(): Promise<void>;
}

interface Message {
  id?: number;
  result?: Record<string, unknown>;
  error?: { message: string };
}

interface EvaluateResult {
  result: { value?: unknown; objectId?: string };
  exceptionDetails?: { text: string; exception?: { description?: string } };
}

export async function launchChromium(executable: string, flags: string[], profileDir: string): Promise<CdpBrowser> {
  const child = spawn(executable, [...flags, '--remote-debugging-pipe', `--user-data-dir=${profileDir}`, 'about:blank'], {
    stdio: ['ignore', 'ignore', 'ignore', 'pipe', 'pipe'],
  });
  const toBrowser = child.stdio[3] as Writable;
  const fromBrowser = child.stdio[4] as Readable;
  const pending = new Map<number, { resolve: (result: Record<string, unknown>) => void; reject: (error: Error) => void }>();
  let lastId = 0;
  let gone: Error | null = null;
  const failAll = (error: Error) => {
    gone = error;
    for (const { reject } of pending.values()) reject(error);
    pending.clear();
  };
  child.on('error', failAll);
  child.on('exit', (code, signal) => failAll(new Error(`Chromium exited (${code ?? signal})`)));

  let buffered = '';
  fromBrowser.setEncoding('utf8');
  fromBrowser.on('data', (chunk: string) => {
    buffered += chunk;
    for (let end = buffered.indexOf('\0'); end >= 0; end = buffered.indexOf('\0')) {
      const message = JSON.parse(buffered.slice(0, end)) as Message;
      buffered = buffered.slice(end + 1);
      const waiter = message.id === undefined ? undefined : pending.get(message.id);
      if (!waiter) continue; // an event: none is asked for, but targets send a few anyway
      pending.delete(message.id!);
      if (message.error) waiter.reject(new Error(message.error.message));
      else waiter.resolve(message.result ?? {});
    }
  });

  const send = <T>(method: string, params: object = {}, sessionId?: string): Promise<T> =>
    new Promise((resolve, reject) => {
      if (gone) return reject(gone);
      const id = ++lastId;
      pending.set(id, { resolve: resolve as (result: Record<string, unknown>) => void, reject });
      toBrowser.write(JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) }) + '\0');
    });

  let sessionId: string;
  let product: string;
  try {
    // The page Chromium opened with about:blank.
    let targetId: string | undefined;
    for (let tries = 0; !targetId; tries++) {
      if (tries === 100) throw new Error('Chromium opened no page');
      const { targetInfos } = await send<{ targetInfos: { type: string; targetId: string }[] }>('Target.getTargets');
      targetId = targetInfos.find((target) => target.type === 'page')?.targetId;
      if (!targetId) await sleep(100);
    }
    ({ sessionId } = await send<{ sessionId: string }>('Target.attachToTarget', { targetId, flatten: true }));
    ({ product } = await send<{ product: string }>('Browser.getVersion'));
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }

  const runtimeEvaluate = async (expression: string, returnByValue: boolean) => {
    const reply = await send<EvaluateResult>('Runtime.evaluate', { expression, awaitPromise: true, returnByValue }, sessionId);
    if (reply.exceptionDetails) throw new Error((reply.exceptionDetails.exception?.description ?? reply.exceptionDetails.text).split('\n')[0]);
    return reply.result;
  };

  return {
    version: product,
    async goto(url) {
      await send('Page.navigate', { url }, sessionId);
      const loaded = `location.href === ${JSON.stringify(url)} && document.readyState === 'complete'`;
      for (let tries = 0; tries < 400; tries++) {
        if ((await runtimeEvaluate(loaded, true)).value === true) return;
        await sleep(25);
      }
      throw new Error(`${url} did not load`);
    },
    async setInputFile(selector, file) {
      const { objectId } = await runtimeEvaluate(`document.querySelector(${JSON.stringify(selector)})`, false);
      await send('DOM.setFileInputFiles', { files: [file], objectId }, sessionId);
    },
    async evaluate<T>(expression: string) {
      return (await runtimeEvaluate(expression, true)).value as T;
    },
    async close() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      await send('Browser.close').catch(() => undefined);
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
