/** The pages' script (bundled to /assets/app.js): binds every upload form, drop zone and cover form on the page. */
import { ApiClient, csrfHeader } from './api.ts';
import { browserConnectivity } from './connectivity.ts';
import { bindCoverForm } from './cover-form.ts';
import { createUploader } from './engine.ts';
import { bindDropzone, bindUploadForm } from './forms.ts';
import { LinkMeter } from './link-meter.ts';
import { MemoryResumeStore, WebStorageResumeStore, type ResumeStore } from './resume-store.ts';
import { bindUnfinishedNotice } from './unfinished-notice.ts';
import { Drafts } from './unfinished.ts';
import { xhrTransport } from './xhr-transport.ts';

function start(): void {
  const api = new ApiClient({ headers: () => csrfHeader(document.cookie) });
  const connectivity = browserConnectivity();
  const resumeStore = pageResumeStore();
  // One meter for the page's uploaders: each file is planned for the link the last one measured.
  const link = new LinkMeter(pageStorage());
  const drafts = new Drafts(resumeStore instanceof WebStorageResumeStore ? resumeStore.storage : null);
  for (const zone of document.querySelectorAll<HTMLElement>('label.dropzone[data-for]')) bindDropzone(zone);
  for (const form of document.querySelectorAll<HTMLFormElement>('form[data-upload-form]')) {
    bindUploadForm(form, {
      api,
      connectivity,
      createUploader: () => createUploader({ api, transport: xhrTransport, resumeStore, connectivity, link }),
    });
    bindUnfinishedNotice(form, { api, resumeStore, drafts });
  }
  for (const form of document.querySelectorAll<HTMLFormElement>('form[data-cover-form]')) {
    bindCoverForm(form, { api, connectivity, createUploader: () => createUploader({ api, transport: xhrTransport, connectivity, link }) });
  }
}

/** localStorage when the browser allows it (reading it throws when storage is blocked), else null. */
function pageStorage(): Storage | null {
  try {
    return window.localStorage;
  } catch {
    return null;
  }
}

/** A resume after reload through localStorage, else a resume within the page only. */
function pageResumeStore(): ResumeStore {
  const storage = pageStorage();
  return storage ? new WebStorageResumeStore(storage) : new MemoryResumeStore();
}

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start, { once: true });
else start();
