import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CATALOGS, hasMessage, translator } from './index.ts';

const SRC = fileURLToPath(new URL('../..', import.meta.url));
const sources = (readdirSync(SRC, { recursive: true }) as string[]).filter((file) => file.endsWith('.ts') && !file.endsWith('.test.ts'));
const placeholders = (text: string) => [...text.matchAll(/\{\{(\w+)\}\}/g)].map((m) => m[1]).sort();

describe('message catalogs', () => {
  it.each(Object.entries(CATALOGS))('%s: French has every English message, with the same placeholders', (_ns, catalog) => {
    expect(Object.keys(catalog.fr).sort()).toEqual(Object.keys(catalog.en).sort());
    for (const [key, english] of Object.entries(catalog.en)) {
      const french = (catalog.fr as Record<string, string>)[key]!;
      expect(french.trim(), key).not.toBe('');
      expect(placeholders(french), key).toEqual(placeholders(english));
    }
  });

  it('every key the code asks for exists', () => {
    const missing: string[] = [];
    for (const file of sources) {
      const text = readFileSync(path.join(SRC, file), 'utf8');
      for (const [, key] of text.matchAll(/\bt\(\s*'([a-zA-Z]+:[\w.-]+)'/g)) if (!hasMessage(key!)) missing.push(`${file}: ${key}`);
    }
    expect(missing).toEqual([]);
  });

  it('plurals follow each language (French counts 0 as one, and millions as other)', () => {
    expect(translator('fr')('common:login.tooManySeconds', { count: 0 })).toBe('Trop de tentatives échouées. Réessayez dans 0 seconde.');
    expect(translator('en')('common:login.tooManySeconds', { count: 0 })).toBe('Too many failed attempts. Try again in 0 seconds.');
    expect(translator('fr')('common:login.tooManyMinutes', { count: 1_000_000 })).toMatch(/1000000 minutes\.$/);
  });
});
