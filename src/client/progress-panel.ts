/**
 * The seed's progress area on the page (its element ids are the page contract), rendered from
 * the uploader's events at most once per frame: the overall figures (`progress-view.ts`) and
 * one line per file the user chose.
 */
import type { Locale } from '../shared/i18n/locales.ts';
import type { Translate } from '../shared/i18n/index.ts';
import type { FileState, FileUpload, Uploader } from './engine.ts';
import { fileLine, progressView, type Shown } from './progress-view.ts';
import { snapshot } from './progress.ts';

/** How long "Resuming: N% already uploaded" stays up: long enough to read, even when the next part lands at once. */
const RESUME_NOTICE_MS = 4000;

export interface ProgressArea {
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

/** A file's line: its upload once it has one, and what happened to its record (saved, or why not). */
export interface FileLine {
  name: string;
  upload?: FileUpload;
  note?: string;
  /** Why it was not sent at all (a check before sending). */
  refused?: string;
}

export class ProgressPanel {
  readonly #states = new Map<FileUpload, FileState>();
  readonly #unsubscribe: (() => void)[];
  readonly #lines: FileLine[] = [];
  #resumed: { percent: number; until: number } | null = null;
  /** When sending started and what the store already held then: the base of the average speed. */
  #start: { at: number; loaded: number } | null = null;
  #finished: { bytesPerSecond: number; seconds: number } | null = null;
  #shown: Shown | null = null;
  /** Records being saved now. */
  #saving = 0;
  #reading = true;
  #frame = 0;

  constructor(
    readonly area: ProgressArea,
    readonly uploader: Uploader,
    readonly options: { noun: 'video' | 'photo'; items: number; locale: Locale; t: Translate },
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

  /** Adds a file's line (in the order chosen); the returned object takes its upload and note later. */
  line(line: FileLine): FileLine {
    this.#lines.push(line);
    this.#schedule();
    return line;
  }

  /** The files are read and their uploads added: from now on the status follows the uploads. */
  read(): void {
    this.#reading = false;
    this.#render();
  }

  #finish(): void {
    const states = [...this.#states.values()];
    if (!this.#start || !states.every((state) => state.status === 'completed')) return;
    const seconds = (performance.now() - this.#start.at) / 1000;
    const sent = this.uploader.progress().loaded - this.#start.loaded;
    this.#finished = { bytesPerSecond: seconds > 0 ? sent / seconds : 0, seconds };
  }

  /** A record's save starts (+1) or ends (-1). */
  saving(change: 1 | -1): void {
    this.#saving += change;
    this.#render();
  }

  changed(): void {
    this.#schedule();
  }

  stop(): void {
    for (const unsubscribe of this.#unsubscribe) unsubscribe();
    cancelAnimationFrame(this.#frame);
    this.#frame = 0;
    this.#saving = 0;
    this.#reading = false;
    this.#render();
  }

  #schedule(): void {
    this.#frame ||= requestAnimationFrame(() => {
      this.#frame = 0;
      this.#render();
    });
  }

  #render(): void {
    const { area, options } = this;
    const { locale, t } = options;
    const refused = this.#lines.filter((line) => line.refused).map((line): FileState => ({ status: 'failed', message: line.refused! }));
    const states = [...this.#states.values(), ...refused];
    // "Saving…" once nothing is left to send; until then the sending is what the status tells.
    const saving = this.#saving > 0 && !this.#reading && states.every((state) => ['completed', 'failed', 'cancelled'].includes(state.status));
    const view = progressView({
      noun: options.noun,
      items: options.items,
      overall: this.uploader.progress(),
      states,
      resumed: this.#resumed,
      now: performance.now(),
      saving,
      reading: this.#reading,
      finished: this.#finished,
      shown: this.#shown,
      locale,
      t,
    });
    this.#shown = view.shown;
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
    const lines = this.#lines.map((line) => {
      if (line.refused) return fileLine(line.name, { status: 'failed', message: line.refused }, NOTHING_SENT, { locale, t });
      if (!line.upload) return fileLine(line.name, { status: 'queued' }, NOTHING_SENT, { locale, t, note: line.note });
      return fileLine(line.name, line.upload.state, line.upload.progress(), { locale, t, note: line.note });
    });
    while (area.files.children.length < lines.length) area.files.append(area.files.ownerDocument.createElement('li'));
    lines.forEach((line, i) => {
      const item = area.files.children[i]!;
      if (item.textContent !== line) item.textContent = line;
    });
  }
}

const NOTHING_SENT = snapshot(0, 0, { done: 0, count: 0 }, null);

export function progressArea(doc: Document): ProgressArea {
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

export function element<T extends HTMLElement = HTMLElement>(doc: Document, id: string): T {
  const found = doc.getElementById(id);
  if (!found) throw new Error(`The upload page lacks #${id}.`);
  return found as T;
}
