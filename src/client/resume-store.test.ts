import { describe, expect, it, vi } from 'vitest';
import { MemoryResumeStore, resumeKey, WebStorageResumeStore, type ResumeRecord } from './resume-store.ts';

const record: ResumeRecord = { uploadId: 'u1', filename: 'clip.mp4', size: 300, lastModified: 1700000000000, kind: 'video', partSize: 100 };

/** The Web Storage interface over a Map, as `localStorage` behaves. */
function mapStorage(): Storage {
  const items = new Map<string, string>();
  return {
    get length() {
      return items.size;
    },
    clear: () => items.clear(),
    getItem: (key) => items.get(key) ?? null,
    key: (index) => [...items.keys()][index] ?? null,
    removeItem: (key) => void items.delete(key),
    setItem: (key, value) => void items.set(key, String(value)),
  };
}

describe('resumeKey', () => {
  const file = { kind: 'video', filename: 'clip.mp4', size: 300, lastModified: 1 };
  it.each([
    ['another size', { ...file, size: 301 }],
    ['another date', { ...file, lastModified: 2 }],
    ['another name', { ...file, filename: 'clip2.mp4' }],
    ['another kind', { ...file, kind: 'cover' }],
  ])('tells apart %s', (_, other) => {
    expect(resumeKey(other)).not.toBe(resumeKey(file));
  });
});

describe.each([
  ['MemoryResumeStore', () => new MemoryResumeStore()],
  ['WebStorageResumeStore', () => new WebStorageResumeStore(mapStorage())],
])('%s', (_, create) => {
  it('keeps, returns and forgets a record', async () => {
    const store = create();
    expect(await store.get('k')).toBeUndefined();
    await store.set('k', record);
    expect(await store.get('k')).toEqual(record);
    await store.delete('k');
    expect(await store.get('k')).toBeUndefined();
  });
});

describe('WebStorageResumeStore', () => {
  it('treats an unreadable entry as absent', async () => {
    const storage = mapStorage();
    storage.setItem('bad', '{not json');
    storage.setItem('odd', '{"uploadId": 5}');
    const store = new WebStorageResumeStore(storage);
    expect(await store.get('bad')).toBeUndefined();
    expect(await store.get('odd')).toBeUndefined();
  });

  it('warns instead of failing when the storage is full', async () => {
    const storage = mapStorage();
    storage.setItem = () => {
      throw new DOMException('full', 'QuotaExceededError');
    };
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    await expect(new WebStorageResumeStore(storage).set('k', record)).resolves.toBeUndefined();
    expect(warn).toHaveBeenCalledOnce();
    warn.mockRestore();
  });
});
