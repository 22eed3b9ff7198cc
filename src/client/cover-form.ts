/**
 * A video page's "Change the cover" form (`form[data-cover-form]`): the chosen image goes
 * straight to the store through the engine, as every upload does, then the video takes it
 * (`PATCH /api/v1/videos/:id` with `cover_upload_id`; the server deletes the old cover's
 * object) and the player shows it at once.
 */
import { translator } from '../shared/i18n/index.ts';
import type { ApiClient } from './api.ts';
import type { Connectivity } from './connectivity.ts';
import { describeError } from './describe-error.ts';
import type { Uploader } from './engine.ts';
import { markBusy, showFieldProblem } from './field-problem.ts';
import { fileProblem } from './file-checks.ts';
import { pageLocale } from './forms.ts';
import { DEFAULT_RETRY_POLICY, retrying } from './retry.ts';

/** The save has no Cancel of its own: it is one short call once the image is stored. */
const NEVER = new AbortController().signal;

export interface CoverFormDependencies {
  api: ApiClient;
  connectivity: Connectivity;
  createUploader(): Uploader;
}

export function bindCoverForm(form: HTMLFormElement, deps: CoverFormDependencies): void {
  const doc = form.ownerDocument;
  const locale = pageLocale(doc);
  const t = translator(locale);
  const id = Number(form.dataset.videoId);
  const input = form.querySelector<HTMLInputElement>('input[type=file]');
  const submit = form.querySelector<HTMLButtonElement>('button[type=submit]');
  const status = form.querySelector<HTMLElement>('.cover-status');
  if (!input || !submit || !status || !Number.isInteger(id)) return;
  let busy = false;

  input.addEventListener('change', () => showFieldProblem(input, null));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    if (!busy) void send();
  });

  async function send(): Promise<void> {
    const file = input!.files?.[0];
    const maxSize = Number(input!.dataset.maxSize);
    const problem = fileProblem(file, { label: t('library:cover.field'), required: true, accept: input!.accept, maxSize: maxSize > 0 ? maxSize : null }, locale);
    showFieldProblem(input!, problem);
    if (problem || !file) {
      input!.focus();
      return;
    }
    busy = true;
    markBusy(submit, true);
    status!.textContent = t('library:cover.sending', { percent: '0%' });
    const uploader = deps.createUploader();
    uploader.on('progress', ({ overall }) => {
      status!.textContent = t('library:cover.sending', { percent: `${Math.floor(overall.percent)}%` });
    });
    try {
      const uploaded = await uploader.add(file, { kind: 'cover' }).done;
      const video = await retrying(() => deps.api.editVideo(id, { cover_upload_id: uploaded.id }), { policy: DEFAULT_RETRY_POLICY, signal: NEVER, connectivity: deps.connectivity });
      const player = doc.getElementById('player');
      // A new cover has a new key, so its URL is new: no cache to get around.
      if (player instanceof HTMLVideoElement && video.cover_url) player.poster = video.cover_url;
      status!.textContent = t('library:cover.saved');
      form.reset();
    } catch (failure) {
      status!.textContent = '';
      showFieldProblem(input!, t('library:cover.failed', { reason: describeError(failure, locale) }));
      input!.focus();
    } finally {
      uploader.destroy();
      busy = false;
      markBusy(submit, false);
    }
  }
}
