/**
 * Binds the server-rendered upload forms to the engine: the checks made before sending,
 * the drop zones, the progress area and the outcome. The element ids and names are the
 * page contract (DESIGN.md, "Pages"); the engine does the uploading, this file only listens.
 */
import type { UploadCompleted } from '../shared/api.ts';
import type { ApiClient } from './api.ts';
import type { Connectivity } from './connectivity.ts';
import type { FileState, FileUpload, MediaKind, Uploader } from './engine.ts';
import { isInterruption } from './errors.ts';
import { fileProblem } from './file-checks.ts';
import { formatSize } from '../shared/format.ts';
import { fileLine, progressView } from './progress-view.ts';
import { DEFAULT_RETRY_POLICY, retrying } from './retry.ts';

export interface FormDependencies {
  api: ApiClient;
  connectivity: Connectivity;
  /** A fresh uploader for each submission. */
  createUploader(): Uploader;
}

type FormKind = 'video' | 'photo';

/** What differs between the video and the photo form; the rest is one path. */
interface FormType {
  /** Its own file input (the seed's id); a video form may also have a cover input. */
  inputId: string;
  /** Its name in the outcome: "Video saved." */
  name: string;
  /** Creates the record from the form's text and its completed uploads, by kind. */
  save(api: ApiClient, text: { title: string; description: string }, uploads: Map<MediaKind, UploadCompleted>): Promise<{ id: number }>;
}

const FORMS: Record<FormKind, FormType> = {
  video: {
    inputId: 'videoFileInput',
    name: 'Video',
    save: (api, text, uploads) => api.createVideo({ ...text, upload_id: uploads.get('video')!.id, cover_upload_id: uploads.get('cover')?.id ?? null }),
  },
  photo: {
    inputId: 'photoFileInput',
    name: 'Photo',
    save: (api, text, uploads) => api.createPhoto({ ...text, upload_id: uploads.get('photo')!.id }),
  },
};

/** How long "Resuming: N% already uploaded" stays up: long enough to read, even when the next part lands at once. */
const RESUME_NOTICE_MS = 4000;

interface ProgressArea {
  root: HTMLElement;
  status: HTMLElement;
  text: HTMLElement;
  bar: HTMLElement;
  speed: HTMLElement;
  timeRemaining: HTMLElement;
  details: HTMLElement;
  pause: HTMLButtonElement;
  resume: HTMLButtonElement;
  cancel: HTMLButtonElement;
  /** One line per file under the overall figures. */
  files: HTMLElement;
}

/** A file input and what the form uploads it as. */
interface FileField {
  input: HTMLInputElement;
  kind: MediaKind;
  label: string;
  required: boolean;
}

export function bindUploadForm(form: HTMLFormElement, deps: FormDependencies): void {
  const kind = formKind(form);
  const doc = form.ownerDocument;
  const area = progressArea(doc);
  const outcome = element(doc, 'uploadResult');
  const title = form.querySelector<HTMLInputElement>('input[name=title]');
  const description = form.querySelector<HTMLTextAreaElement>('textarea[name=description]');
  const submit = form.querySelector<HTMLButtonElement>('button[type=submit]');
  const cover = form.querySelector<HTMLInputElement>('input[type=file][name=cover_film]');
  const fields: FileField[] = [
    ...(cover ? [{ input: cover, kind: 'cover' as const, label: 'cover image', required: false }] : []),
    { input: element<HTMLInputElement>(doc, FORMS[kind].inputId), kind, label: kind, required: true },
  ];
  // Uploads that completed for a submission whose record was not saved, reused when it is sent again.
  const completed = new WeakMap<File, UploadCompleted>();
  let busy = false;

  for (const field of fields) {
    field.input.addEventListener('change', () => {
      const problem = fileProblem(field.input.files?.[0], { ...rulesOf(field), required: false });
      markInvalid(field.input, problem !== null);
      if (problem) announce(outcome, [problem], 'alert');
      else if (outcome.getAttribute('role') === 'alert') announce(outcome, [], 'status');
    });
  }

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    if (!busy) void send();
  });

  /** The first thing that stops the form from being sent, with the field to fix. */
  function firstProblem(): { field: HTMLElement; message: string } | null {
    if (title && !title.value.trim()) return { field: title, message: 'Enter a title.' };
    for (const field of fields) {
      const message = fileProblem(field.input.files?.[0], rulesOf(field));
      if (message) return { field: field.input, message };
    }
    return null;
  }

  async function send(): Promise<void> {
    const problem = firstProblem();
    for (const field of [title, ...fields.map((f) => f.input)]) if (field) markInvalid(field, field === problem?.field);
    if (problem) {
      announce(outcome, [problem.message], 'alert');
      problem.field.focus();
      return;
    }
    const jobs = fields.flatMap((field) => {
      const file = field.input.files?.[0];
      return file ? [{ file, kind: field.kind }] : [];
    });
    busy = true;
    if (submit) submit.disabled = true;
    announce(outcome, [], 'status');
    const uploader = deps.createUploader();
    const panel = new ProgressPanel(area, uploader, kind);
    const buttons = new AbortController();
    area.pause.addEventListener('click', () => uploader.pause(), { signal: buttons.signal });
    area.resume.addEventListener('click', () => uploader.resume(), { signal: buttons.signal });
    area.cancel.addEventListener('click', () => void uploader.cancel(), { signal: buttons.signal });
    try {
      // Added in order, so the small cover goes first and the queue keeps that order.
      const results = await Promise.all(
        jobs.map(async ({ file, kind }) => {
          const result = completed.get(file) ?? (await uploader.add(file, { kind }).done);
          completed.set(file, result);
          return result;
        }),
      );
      panel.saving();
      const uploaded = new Map(jobs.map((job, index) => [job.kind, results[index]!]));
      const text = { title: title?.value.trim() ?? '', description: description?.value ?? '' };
      const item = await retrying<{ id: number }>(
        () => FORMS[kind].save(deps.api, text, uploaded),
        { policy: DEFAULT_RETRY_POLICY, signal: buttons.signal, connectivity: deps.connectivity },
      );
      const link = doc.createElement('a');
      link.href = `/${kind}s/${item.id}`;
      link.textContent = 'View it';
      announce(outcome, [`${FORMS[kind].name} saved. `, link], 'status');
      form.reset();
    } catch (error) {
      if (isInterruption(error, 'cancel')) {
        // The cover may have completed before the cancel: it belongs to no record, so discard it too.
        for (const { file } of jobs) {
          const result = completed.get(file);
          completed.delete(file);
          if (result) void deps.api.abortUpload(result.id).catch(() => undefined);
        }
        announce(outcome, ['Upload cancelled.'], 'status');
      } else {
        // The other file keeps its stored parts: sending the form again resumes it.
        uploader.pause();
        announce(outcome, [error instanceof Error ? error.message : String(error)], 'alert');
      }
    } finally {
      buttons.abort();
      panel.stop();
      uploader.destroy();
      busy = false;
      if (submit) submit.disabled = false;
    }
  }
}

/** A `label.dropzone[data-for]`: files dropped on it go to its input; it shows the chosen file's name and size. */
export function bindDropzone(zone: HTMLElement): void {
  const input = zone.ownerDocument.getElementById(zone.dataset.for ?? '');
  if (!(input instanceof HTMLInputElement)) return;
  const chosen = zone.querySelector('.dropzone-file');
  const show = () => {
    const file = input.files?.[0];
    if (chosen) chosen.textContent = file ? `${file.name} (${formatSize(file.size)})` : '';
  };
  input.addEventListener('change', show);
  // A form reset clears the input after its event: show the result once it has.
  input.form?.addEventListener('reset', () => setTimeout(show));
  const over = (event: DragEvent) => {
    event.preventDefault();
    if (event.dataTransfer) event.dataTransfer.dropEffect = 'copy';
    zone.classList.add('dragover');
  };
  zone.addEventListener('dragenter', over);
  zone.addEventListener('dragover', over);
  zone.addEventListener('dragleave', () => zone.classList.remove('dragover'));
  zone.addEventListener('drop', (event) => {
    event.preventDefault();
    zone.classList.remove('dragover');
    const file = event.dataTransfer?.files[0];
    if (!file) return;
    const transfer = new DataTransfer();
    transfer.items.add(file);
    input.files = transfer.files;
    input.dispatchEvent(new Event('change', { bubbles: true }));
  });
}

/** Renders the uploader's state into the progress area, at most once per frame. */
class ProgressPanel {
  readonly #states = new Map<FileUpload, FileState>();
  readonly #unsubscribe: (() => void)[];
  #resumed: { percent: number; until: number } | null = null;
  /** When sending started and what the store already held then: the base of the average speed. */
  #start: { at: number; loaded: number } | null = null;
  #finished: { bytesPerSecond: number; seconds: number } | null = null;
  #saving = false;
  #frame = 0;

  constructor(
    readonly area: ProgressArea,
    readonly uploader: Uploader,
    readonly noun: string,
  ) {
    area.root.classList.remove('hidden');
    area.files.replaceChildren();
    this.#unsubscribe = [
      uploader.on('state', ({ upload, state }) => {
        this.#states.set(upload, state);
        if (state.status === 'uploading') this.#start ??= { at: performance.now(), loaded: uploader.progress().loaded };
        if (state.status === 'completed') this.#finish();
        if (state.status === 'uploading' && state.resumedBytes > 0) {
          this.#resumed = { percent: uploader.progress().percent, until: performance.now() + RESUME_NOTICE_MS };
        }
        // A change of state is shown at once: a frame may come too late for a short one ("Resuming…").
        this.#render();
      }),
      uploader.on('progress', () => this.#schedule()),
    ];
    this.#render();
  }

  #finish(): void {
    const states = [...this.#states.values()];
    if (!this.#start || !states.every((state) => state.status === 'completed')) return;
    const seconds = (performance.now() - this.#start.at) / 1000;
    const sent = this.uploader.progress().loaded - this.#start.loaded;
    this.#finished = { bytesPerSecond: seconds > 0 ? sent / seconds : 0, seconds };
  }

  saving(): void {
    this.#saving = true;
    this.#render();
  }

  stop(): void {
    for (const unsubscribe of this.#unsubscribe) unsubscribe();
    cancelAnimationFrame(this.#frame);
    this.#saving = false;
    this.#render();
  }

  #schedule(): void {
    this.#frame ||= requestAnimationFrame(() => {
      this.#frame = 0;
      this.#render();
    });
  }

  #render(): void {
    const { area } = this;
    const view = progressView({
      noun: this.noun,
      overall: this.uploader.progress(),
      states: [...this.#states.values()],
      resumed: this.#resumed,
      now: performance.now(),
      saving: this.#saving,
      finished: this.#finished,
    });
    area.status.textContent = view.status;
    area.text.textContent = view.percent;
    area.bar.style.width = `${view.value}%`;
    area.bar.setAttribute('aria-valuenow', String(view.value));
    area.speed.textContent = view.speed;
    area.timeRemaining.textContent = view.timeRemaining;
    area.details.textContent = view.details;
    area.pause.hidden = !view.canPause;
    area.resume.hidden = !view.canResume;
    area.cancel.hidden = !view.canCancel;
    const lines = [...this.#states].map(([upload, state]) => fileLine(upload.filename, state, upload.progress()));
    while (area.files.children.length < lines.length) area.files.append(area.files.ownerDocument.createElement('li'));
    lines.forEach((line, i) => (area.files.children[i]!.textContent = line));
  }
}

function formKind(form: HTMLFormElement): FormKind {
  const kind = form.dataset.uploadForm;
  if (kind !== 'video' && kind !== 'photo') throw new Error(`Unknown upload form kind "${kind}" on #${form.id}.`);
  return kind;
}

function rulesOf(field: FileField) {
  const maxSize = Number(field.input.dataset.maxSize);
  return { label: field.label, required: field.required, accept: field.input.accept, maxSize: maxSize > 0 ? maxSize : null };
}

function markInvalid(field: HTMLElement, invalid: boolean): void {
  if (invalid) field.setAttribute('aria-invalid', 'true');
  else field.removeAttribute('aria-invalid');
}

/** Puts the outcome in `#uploadResult`: `status` is announced politely, `alert` at once. */
function announce(outcome: HTMLElement, content: (string | Node)[], role: 'status' | 'alert'): void {
  outcome.setAttribute('role', role);
  outcome.replaceChildren(...content);
  outcome.hidden = content.length === 0;
  outcome.classList.toggle('hidden', content.length === 0);
}

function progressArea(doc: Document): ProgressArea {
  return {
    root: element(doc, 'uploadProgress'),
    status: element(doc, 'progressStatus'),
    text: element(doc, 'progressText'),
    bar: element(doc, 'progressBar'),
    speed: element(doc, 'progressSpeed'),
    timeRemaining: element(doc, 'progressTimeRemaining'),
    details: element(doc, 'progressDetails'),
    pause: element(doc, 'pauseButton'),
    resume: element(doc, 'resumeButton'),
    cancel: element(doc, 'cancelButton'),
    files: element(doc, 'progressFiles'),
  };
}

function element<T extends HTMLElement = HTMLElement>(doc: Document, id: string): T {
  const found = doc.getElementById(id);
  if (!found) throw new Error(`The upload page lacks #${id}.`);
  return found as T;
}
