/**
 * The upload page's notice of unfinished uploads (`#unfinishedUploads`, rendered hidden by the
 * server with its messages): on opening, it lists what a reload or a closed tab left unfinished,
 * offers to continue each (choose the same file again: its title and description come back,
 * and the engine sends only what the store lacks) or to discard it. It keeps the typing of
 * each upload as it starts, for next time.
 */
import { formatDate, formatSize } from '../shared/format.ts';
import { isLocale, type Locale } from '../shared/i18n/locales.ts';
import type { MediaKind } from '../shared/media-kind.ts';
import { resumeKey } from './resume-store.ts';
import { discardUnfinished, findUnfinished, type Unfinished, type UnfinishedDeps } from './unfinished.ts';

export function bindUnfinishedNotice(form: HTMLFormElement, deps: UnfinishedDeps): void {
  const doc = form.ownerDocument;
  const section = doc.getElementById('unfinishedUploads');
  const input = doc.getElementById(section?.dataset.input ?? '');
  const template = section?.querySelector('template');
  const list = section?.querySelector('ul');
  const status = section?.querySelector('[role=status]');
  if (!section || !(input instanceof HTMLInputElement) || !template || !list || !status) return;
  const kind = section.dataset.kind as MediaKind;
  const locale: Locale = isLocale(doc.documentElement.lang) ? doc.documentElement.lang : 'en';
  const title = form.querySelector<HTMLInputElement>('input[name=title]');
  const description = form.querySelector<HTMLTextAreaElement>('textarea[name=description]');
  const text = (name: string, values: Record<string, string> = {}) => fill(section.dataset[name] ?? '', values);
  let items: Unfinished[] = [];

  const keyOf = (file: File) => resumeKey({ kind, filename: file.name, size: file.size, lastModified: file.lastModified });
  const chosen = () => [...(input.files ?? [])];

  function render(): void {
    list!.replaceChildren(...items.map(line));
    section!.hidden = items.length === 0;
    markChosen();
  }

  function line(item: Unfinished): HTMLLIElement {
    const li = (template!.content.firstElementChild as HTMLLIElement).cloneNode(true) as HTMLLIElement;
    li.dataset.key = item.key;
    li.querySelector('.unfinished-line')!.textContent = text('line', {
      filename: item.record.filename,
      stored: formatSize(item.storedBytes, locale),
      total: formatSize(item.record.size, locale),
      date: formatDate(item.expiresAt, locale, true),
    });
    li.querySelector<HTMLButtonElement>('[data-action=choose]')!.addEventListener('click', () => input!.click());
    const discard = li.querySelector<HTMLButtonElement>('[data-action=discard]')!;
    discard.addEventListener('click', () => void remove(item, discard));
    return li;
  }

  async function remove(item: Unfinished, button: HTMLButtonElement): Promise<void> {
    button.disabled = true;
    try {
      await discardUnfinished(item, deps);
    } catch {
      button.disabled = false;
      status!.textContent = text('failed', { filename: item.record.filename });
      return;
    }
    items = items.filter((other) => other !== item);
    render();
    status!.textContent = text('discarded', { filename: item.record.filename });
    // The button is gone with its line: keep the keyboard where it was, on the next offer or the form.
    (list!.querySelector<HTMLButtonElement>('[data-action=choose]') ?? title ?? input!).focus();
  }

  /** Says which offer the chosen file continues, and brings back what was typed for it. */
  function markChosen(): void {
    const keys = new Set(chosen().map(keyOf));
    for (const li of list!.querySelectorAll<HTMLLIElement>('li')) {
      const note = li.querySelector('.unfinished-chosen')!;
      note.textContent = keys.has(li.dataset.key ?? '') ? text('continuing') : '';
    }
  }

  input.addEventListener('change', () => {
    const match = items.find((item) => chosen().some((file) => keyOf(file) === item.key));
    if (match?.draft) {
      if (title && !title.value.trim()) title.value = match.draft.title;
      if (description && !description.value) description.value = match.draft.description;
    }
    markChosen();
  });
  form.addEventListener('submit', () => {
    for (const file of chosen()) deps.drafts.save(keyOf(file), { title: title?.value ?? '', description: description?.value ?? '' });
  });
  // A saved upload leaves no record: the next look shows what is still unfinished.
  form.addEventListener('reset', () => setTimeout(() => void refresh()));

  async function refresh(): Promise<void> {
    items = await findUnfinished([kind], deps).catch(() => []);
    render();
  }
  void refresh();
}

/** `{{name}}` in a message the server rendered, filled with text (never markup). */
const fill = (message: string, values: Record<string, string>) => message.replace(/\{\{(\w+)\}\}/g, (whole, name: string) => values[name] ?? whole);
