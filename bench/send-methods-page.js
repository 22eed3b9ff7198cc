/**
 * Page side of bench/send-methods.ts: each kind of sending uploads all of the file chosen in
 * the page's file input to /sink, in the way its name says. Plain JavaScript served as it
 * is, both as the page's script and as its Worker's (the worker runs the same kinds).
 */
const MiB = 1024 * 1024;

function xhrSend(body, method = 'PUT') {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open(method, '/sink');
    xhr.onload = () => (xhr.status === 200 ? resolve() : reject(new Error(`HTTP ${xhr.status}`)));
    xhr.onerror = () => reject(new Error('XMLHttpRequest failed'));
    xhr.send(body);
  });
}

async function fetchSend(body, init = {}) {
  const response = await fetch('/sink', { method: 'PUT', body, ...init });
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  await response.arrayBuffer();
}

/** Calls `send(start, end)` for each part of `part` MiB of `size` bytes, `conc` parts at a time. */
async function inParts(size, { part, conc }, send) {
  let next = 0;
  const lane = async () => {
    while (next < size) {
      const start = next;
      next = Math.min(size, start + part * MiB);
      await send(start, next);
    }
  };
  await Promise.all(Array.from({ length: conc }, lane));
}

function readWithFileReader(blob) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(reader.result);
    reader.onerror = () => reject(reader.error);
    reader.readAsArrayBuffer(blob);
  });
}

function formWith(blob) {
  const form = new FormData();
  form.append('file', blob, 'file');
  return form;
}

/** (file, { part, conc }) => Promise: every kind of sending. */
const kinds = {
  'xhr-file': (f) => xhrSend(f),
  'xhr-slice-whole': (f) => xhrSend(f.slice(0, f.size)),
  'xhr-slices': (f, p) => inParts(f.size, p, (a, b) => xhrSend(f.slice(a, b))),
  'fetch-file': (f) => fetchSend(f),
  'fetch-slices': (f, p) => inParts(f.size, p, (a, b) => fetchSend(f.slice(a, b))),
  'xhr-arraybuffer': (f, p) => inParts(f.size, p, async (a, b) => xhrSend(await f.slice(a, b).arrayBuffer())),
  'fetch-arraybuffer': (f, p) => inParts(f.size, p, async (a, b) => fetchSend(await f.slice(a, b).arrayBuffer())),
  'xhr-filereader': (f, p) => inParts(f.size, p, async (a, b) => xhrSend(await readWithFileReader(f.slice(a, b)))),
  'xhr-file-wrap': (f, p) => inParts(f.size, p, (a, b) => xhrSend(new File([f.slice(a, b)], f.name))),
  'xhr-blob-wrap': (f, p) => inParts(f.size, p, (a, b) => xhrSend(new Blob([f.slice(a, b)]))),
  'xhr-formdata-file': (f) => xhrSend(formWith(f), 'POST'),
  'xhr-formdata-slices': (f, p) => inParts(f.size, p, (a, b) => xhrSend(formWith(f.slice(a, b)), 'POST')),
  'fetch-stream': (f, p) => inParts(f.size, p, (a, b) => fetchSend(f.slice(a, b).stream(), { duplex: 'half' })),
  // In a worker only: FileReaderSync does not exist in windows.
  'xhr-filereadersync': (f, p) => inParts(f.size, p, (a, b) => xhrSend(new self.FileReaderSync().readAsArrayBuffer(f.slice(a, b)))),
};

if (typeof document === 'undefined') {
  // In the worker: run the kind the page asks for on the file it passes.
  self.onmessage = async ({ data: { kind, file, params } }) => {
    try {
      await kinds[kind](file, params);
      self.postMessage({ ok: true });
    } catch (error) {
      self.postMessage({ ok: false, error: String(error) });
    }
  };
} else {
  const scriptUrl = document.currentScript.src; // only set while the script first runs
  let worker;
  const inWorker = (kind, file, params) =>
    new Promise((resolve, reject) => {
      worker ??= new Worker(scriptUrl);
      worker.onmessage = ({ data }) => (data.ok ? resolve() : reject(new Error(data.error)));
      worker.postMessage({ kind, file, params });
    });

  /** Sends the chosen file by `kind` (in a Worker if `useWorker`); resolves to the milliseconds it took. */
  window.runMethod = async (kind, params, useWorker) => {
    const file = document.querySelector('input[type=file]').files[0];
    const start = performance.now();
    await (useWorker ? inWorker(kind, file, params) : kinds[kind](file, params));
    return performance.now() - start;
  };
}
