import { describe, expect, it } from 'vitest';
import { admin } from './admin.ts';

describe('the admin catalog in French', () => {
  it('follows French typography: a no-break space before : ; ? ! and inside « »', () => {
    for (const [key, text] of Object.entries(admin.fr)) {
      expect(text, key).not.toMatch(/ [:;?!](?=\s|$)/);
      expect(text, key).not.toMatch(/« | »|"/);
    }
    expect(admin.fr['copyHint']).toContain('\u00a0:');
    expect(admin.fr['tokens.intro']).toContain('«\u00a0lecture\u00a0»');
  });
});
