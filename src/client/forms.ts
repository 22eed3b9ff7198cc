/**
 * Binds the server-rendered upload forms to the engine: the checks made before sending, the
 * drop zones, what the browser reads of each file (media-probe.ts), the progress area and the
 * outcome, in the page's language. The element ids and names are the page contract (DESIGN.md,
 * "Pages"); the engine does the uploading, this file only listens. The photo form sends several
 * photos at once, one record each: a file that fails does not stop the others.
 */
import type { UploadCompleted } from '../shared/api.ts';
import { formatSize } from '../shared/format.ts';
import { translator, type Translate } from '../shared/i18n/index.ts';
import { DEFAULT_LOCALE, isLocale, type Locale } from '../shared/i18n/locales.ts';
import type { ApiClient } from './api.ts';
import type { Connectivity } from './connectivity.ts';
import { describeError } from './describe-error.ts';
import type { MediaKind, Uploader } from './engine.ts';
import { isInterruption } from './errors.ts';
import { showFieldProblem, markBusy } from './field-problem.ts';
import { fileProblem } from './file-checks.ts';
import { itemTitles } from './item-titles.ts';
import { derivedName, probePhoto, probeVideo, type PhotoProbe, type VideoProbe } from './media-probe.ts';
import { element, progressArea, ProgressPanel, type FileLine } from './progress-panel.ts';
import { DEFAULT_RETRY_POLICY, retrying } from './retry.ts';

export interface FormDependencies {
  api: ApiClient;
  connectivity: Connectivity;
  /** A fresh uploader for each submission. */
  createUploader(): Uploader;
}

type FormKind = 'video' | 'photo';

/** One record to make: its title, its own file, and the uploads it needs besides (a cover, a thumbnail). */
interface Item {
  title: string;
  file: File;
  line: FileLine;
}

/** A file the browser read: what the record is told of it, and the pictures made from it. */
type Probe = { details: { duration?: number | null; width: number | null; height: number | null }; extras: { blob: Blob; kind: MediaKind; filename: string; shownAs?: string }[] };

/** What differs between the video and the photo form; the rest is one path. */
interface FormType {
  /** Its own file input (the seed's id); a video form may also have a cover input. */
  inputId: string;
  /** Reads the file; `cover` is the cover the user chose, if any. */
  probe(file: File, cover: File | undefined, t: Translate): Promise<Probe>;
  /** Creates the record from its text, its completed uploads by kind, and what the browser read. */
  save(api: ApiClient, text: { title: string; description: string }, uploads: Map<MediaKind, UploadCompleted>, details: Probe['details']): Promise<{ id: number }>;
}

const FORMS: Record<FormKind, FormType> = {
  video: {
    inputId: 'videoFileInput',
    async probe(file, cover, t) {
      const found: VideoProbe = await probeVideo(file, { cover: !cover });
      const made = found.cover && { blob: found.cover, kind: 'cover' as const, filename: derivedName(file.name, 'cover', found.cover.type) };
      const extras = cover ? [{ blob: cover, kind: 'cover' as const, filename: cover.name }] : made ? [{ ...made, shownAs: t('upload:file.cover', { name: made.filename }) }] : [];
      return { details: { duration: found.duration, width: found.width, height: found.height }, extras };
    },
    save: (api, text, uploads, details) => api.createVideo({ ...text, ...details, upload_id: uploads.get('video')!.id, cover_upload_id: uploads.get('cover')?.id ?? null }),
  },
  photo: {
    inputId: 'photoFileInput',
    async probe(file) {
      const found: PhotoProbe = await probePhoto(file);
      const extras = found.thumbnail ? [{ blob: found.thumbnail, kind: 'thumbnail' as const, filename: derivedName(file.name, 'thumb', found.thumbnail.type) }] : [];
      return { details: { width: found.width, height: found.height }, extras };
    },
    save: (api, text, uploads, details) => api.createPhoto({ ...text, ...details, upload_id: uploads.get('photo')!.id, thumbnail_upload_id: uploads.get('thumbnail')?.id ?? null }),
  },
};

/** A file input and what the form uploads it as. */
interface FileField {
  input: HTMLInputElement;
  kind: MediaKind;
  label: string;
  required: boolean;
}

/** The page's language, as the server rendered it (`<html lang>`). */
export function pageLocale(doc: Document): Locale {
  const lang = doc.documentElement.lang;
  return isLocale(lang) ? lang : DEFAULT_LOCALE;
}

export function bindUploadForm(form: HTMLFormElement, deps: FormDependencies): void {
  const kind = formKind(form);
  const type = FORMS[kind];
  const doc = form.ownerDocument;
  const locale = pageLocale(doc);
  const t = translator(locale);
  const area = progressArea(doc);
  const outcome = element(doc, 'uploadResult');
  const title = form.querySelector<HTMLInputElement>('input[name=title]');
  const description = form.querySelector<HTMLTextAreaElement>('textarea[name=description]');
  const submit = form.querySelector<HTMLButtonElement>('button[type=submit]');
  const coverInput = form.querySelector<HTMLInputElement>('input[type=file][name=cover_film]');
  const cover: FileField | null = coverInput && { input: coverInput, kind: 'cover', label: t('upload:kind.cover'), required: false };
  const main: FileField = { input: element<HTMLInputElement>(doc, type.inputId), kind, label: t(`upload:kind.${kind}`), required: true };
  // Uploads that completed for a submission whose record was not saved, reused when it is sent again;
  // and what was read of each file, so the same cover or thumbnail is reused with them.
  const completed = new WeakMap<Blob, UploadCompleted>();
  const probes = new WeakMap<File, { cover: File | undefined; probe: Promise<Probe> }>();
  // Files whose record a send saved while another file failed: sending the form again skips them.
  const savedFiles = new WeakSet<File>();
  let busy = false;

  for (const field of [cover, main]) {
    field?.input.addEventListener('change', () => {
      const problems = [...(field.input.files ?? [])].flatMap((file) => fileProblem(file, { ...rulesOf(field), required: false }, locale) ?? []);
      showFieldProblem(field.input, problems.length ? problems.join(' ') : null);
      if (problems.length) announce(outcome, [problems.join(' ')], 'alert');
      else if (outcome.getAttribute('role') === 'alert') announce(outcome, [], 'status');
    });
  }

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    if (!busy) void send();
  });

  /** The first thing that stops the form from being sent, with the field to fix; a photo among several is refused alone. */
  function firstProblem(): { field: HTMLElement; message: string } | null {
    // Photos without a title are named after their files.
    if (title && kind === 'video' && !title.value.trim()) return { field: title, message: t('upload:check.title') };
    if (cover) {
      const message = fileProblem(cover.input.files?.[0], rulesOf(cover), locale);
      if (message) return { field: cover.input, message };
    }
    const files = [...(main.input.files ?? [])];
    const message = files.length === 0 ? fileProblem(undefined, rulesOf(main), locale) : files.length === 1 ? fileProblem(files[0], rulesOf(main), locale) : null;
    return message ? { field: main.input, message } : null;
  }

  /** Warns before the page is left while the form sends: leaving would stop the upload. */
  const stayWhileSending = (event: BeforeUnloadEvent) => {
    event.preventDefault();
    // Older browsers show the dialog only when a value is set; none shows the text itself any more.
    event.returnValue = t('upload:leave.warning');
  };

  async function send(): Promise<void> {
    const problem = firstProblem();
    for (const field of [title, cover?.input, main.input]) if (field) showFieldProblem(field, field === problem?.field ? problem.message : null);
    if (problem) {
      announce(outcome, [problem.message], 'alert');
      problem.field.focus();
      return;
    }
    const files = [...(main.input.files ?? [])];
    const chosenCover = cover?.input.files?.[0];
    busy = true;
    markBusy(submit, true);
    doc.defaultView?.addEventListener('beforeunload', stayWhileSending);
    announce(outcome, [], 'status');
    const uploader = deps.createUploader();
    const panel = new ProgressPanel(area, uploader, { noun: kind, items: files.length, locale, t });
    const buttons = new AbortController();
    let cancelled = false;
    area.pause.addEventListener('click', () => uploader.pause(), { signal: buttons.signal });
    area.resume.addEventListener('click', () => uploader.resume(), { signal: buttons.signal });
    area.cancel.addEventListener('click', () => ((cancelled = true), void uploader.cancel()), { signal: buttons.signal });
    const text = description?.value ?? '';
    const titles = itemTitles(title?.value ?? '', files.map((file) => file.name));
    const items: Item[] = files.map((file, i) => ({ title: titles[i]!, file, line: { name: file.name } }));

    /** Uploads `blob` (or reuses its earlier upload); its line, when it has one, follows it. */
    const uploadOf = async (blob: Blob, uploadKind: MediaKind, filename: string, line?: FileLine): Promise<UploadCompleted> => {
      const earlier = completed.get(blob);
      if (earlier) return earlier;
      const upload = uploader.add(blob, { kind: uploadKind, filename });
      if (line) line.upload = upload;
      const result = await upload.done;
      completed.set(blob, result);
      return result;
    };

    /** Sends an item's uploads and saves its record; its line says how it went. */
    const sendItem = async (item: Item, probe: Probe): Promise<{ id: number }> => {
      // A cover has its own line (the one chosen, or the frame taken), above the video's; a thumbnail goes with its photo.
      const extras = probe.extras.map((extra) => {
        const line = extra.kind === 'cover' ? panel.line({ name: extra.shownAs ?? extra.filename }) : undefined;
        return uploadOf(extra.blob, extra.kind, extra.filename, line).then((result) => [extra.kind, result] as const);
      });
      const own = uploadOf(item.file, kind, item.file.name, item.line).then((result) => [kind, result] as const);
      panel.line(item.line);
      const uploads = new Map(await Promise.all([...extras, own]));
      panel.saving(+1);
      try {
        const saved = await retrying(() => type.save(deps.api, { title: item.title, description: text }, uploads, probe.details), {
          policy: DEFAULT_RETRY_POLICY,
          signal: buttons.signal,
          connectivity: deps.connectivity,
        });
        // Its uploads now belong to the record: a later send neither reuses nor discards them, nor sends the file again.
        for (const blob of [item.file, ...probe.extras.map((extra) => extra.blob)]) completed.delete(blob);
        savedFiles.add(item.file);
        return saved;
      } finally {
        panel.saving(-1);
      }
    };

    const jobs: Promise<{ id: number }>[] = [];
    const sent: Blob[] = [];
    for (const item of items) {
      if (cancelled) break;
      if (savedFiles.has(item.file)) {
        panel.line({ ...item.line, note: t('upload:file.saved') });
        continue;
      }
      const refused = files.length > 1 ? fileProblem(item.file, rulesOf(main), locale) : null;
      if (refused) {
        item.line.refused = refused;
        panel.line(item.line);
        continue;
      }
      // One file read at a time (a photo's pixels are large); each is sent as soon as it is read.
      // Read again only when the chosen cover changed: a frame is taken only without one.
      let probed = probes.get(item.file);
      if (!probed || probed.cover !== chosenCover) probes.set(item.file, (probed = { cover: chosenCover, probe: type.probe(item.file, chosenCover, t) }));
      const read = await probed.probe;
      if (cancelled) break;
      sent.push(item.file, ...read.extras.map((extra) => extra.blob));
      const job = sendItem(item, read);
      job.then(
        () => (kind === 'photo' ? (item.line.note = t('upload:file.saved')) : undefined, panel.changed()),
        (error: unknown) => {
          if (!isInterruption(error)) item.line.note = t('upload:file.failed', { reason: describeError(error, locale) });
          panel.changed();
        },
      );
      jobs.push(job);
    }
    panel.read();
    const results = await Promise.allSettled(jobs);
    const saved = results.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
    const failures = [
      ...items.flatMap((item) => item.line.refused ?? []),
      ...results.flatMap((result) => (result.status === 'rejected' && !isInterruption(result.reason) ? [describeError(result.reason, locale)] : [])),
    ];
    try {
      if (cancelled) {
        // What completed before the cancel belongs to no record: discard it too.
        for (const blob of sent) {
          const result = completed.get(blob);
          completed.delete(blob);
          if (result) void deps.api.abortUpload(result.id).catch(() => undefined);
        }
        announce(outcome, [t('upload:outcome.cancelled')], 'status');
      } else if (failures.length) {
        // The files that failed keep their stored parts: sending the form again resumes them, and skips those saved.
        uploader.pause();
        const message = files.length === 1 ? failures[0]! : t('upload:outcome.someFailed', { failed: failures.length, total: files.length });
        announce(outcome, [message], 'alert');
      } else {
        announce(outcome, savedOutcome(doc, kind, saved, t), 'status');
        form.reset();
      }
    } finally {
      buttons.abort();
      panel.stop();
      uploader.destroy();
      doc.defaultView?.removeEventListener('beforeunload', stayWhileSending);
      busy = false;
      markBusy(submit, false);
    }
  }
}

/** "Video saved. View it", "Photo saved. View it", "5 photos saved. See them in the library". */
function savedOutcome(doc: Document, kind: FormKind, saved: { id: number }[], t: Translate): (string | Node)[] {
  const link = doc.createElement('a');
  if (saved.length === 1) {
    link.href = `/${kind}s/${saved[0]!.id}`;
    link.textContent = t('upload:outcome.view');
  } else {
    link.href = '/';
    link.textContent = t('upload:outcome.library');
  }
  return [kind === 'video' ? t('upload:outcome.videoSaved') : t('upload:outcome.photosSaved', { count: saved.length }), link];
}

/** A `label.dropzone[data-for]`: files dropped on it go to its input; it shows the chosen files' names and size. */
export function bindDropzone(zone: HTMLElement): void {
  const doc = zone.ownerDocument;
  const input = doc.getElementById(zone.dataset.for ?? '');
  if (!(input instanceof HTMLInputElement)) return;
  const locale = pageLocale(doc);
  const t = translator(locale);
  const chosen = zone.querySelector('.dropzone-file');
  const show = () => {
    const files = [...(input.files ?? [])];
    const size = formatSize(files.reduce((sum, file) => sum + file.size, 0), locale);
    if (chosen) chosen.textContent = files.length ? t('upload:zone.chosen', { count: files.length, name: files[0]!.name, size }) : '';
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
    const dropped = [...(event.dataTransfer?.files ?? [])].slice(0, input.multiple ? undefined : 1);
    if (!dropped.length) return;
    const transfer = new DataTransfer();
    for (const file of dropped) transfer.items.add(file);
    input.files = transfer.files;
    input.dispatchEvent(new Event('change', { bubbles: true }));
  });
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


/** Puts the outcome in `#uploadResult`: `status` is announced politely, `alert` at once. */
function announce(outcome: HTMLElement, content: (string | Node)[], role: 'status' | 'alert'): void {
  outcome.setAttribute('role', role);
  outcome.replaceChildren(...content);
  outcome.hidden = content.length === 0;
  outcome.classList.toggle('hidden', content.length === 0);
}
