import { describe, expect, it } from 'vitest';
import { admin } from './admin.ts';
import { api } from './api.ts';
import { common } from './common.ts';
import { errors } from './errors.ts';
import { library } from './library.ts';
import { unfinished } from './unfinished.ts';
import { upload } from './upload.ts';

describe.each([
  ['admin', admin],
  ['api', api],
  ['common', common],
  ['errors', errors],
  ['library', library],
  ['unfinished', unfinished],
  ['upload', upload],
])('the %s catalog in French', (_name, catalog) => {
  it('follows French typography: a no-break space before : ; ? ! and inside « »', () => {
    for (const [key, text] of Object.entries(catalog.fr)) {
      expect(text, key).not.toMatch(/ [:;?!](?=\s|$)/);
      expect(text, key).not.toMatch(/« | »|"/);
    }
  });
});

describe('the admin catalog in French', () => {
  it('keeps its no-break spaces', () => {
    expect(admin.fr['copyHint']).toContain('\u00a0:');
    expect(admin.fr['tokens.intro']).toContain('«\u00a0lecture\u00a0»');
  });
});
