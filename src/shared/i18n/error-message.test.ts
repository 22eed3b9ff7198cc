import { describe, expect, it } from 'vitest';
import { ERROR_CODES, STORAGE_ERROR_CODES } from '../error-codes.ts';
import { errorMessage } from './error-message.ts';
import { LOCALES } from './index.ts';

describe('errorMessage', () => {
  it('keeps the server’s detailed message in English', () => {
    expect(errorMessage('en', { code: 'too_large', message: 'The file is 6 GB; the limit is 5 GB.' })).toBe('The file is 6 GB; the limit is 5 GB.');
  });

  it('says what the code means in French, with the values it names', () => {
    expect(errorMessage('fr', { code: 'too_large', message: 'The file is 6 GB; the limit is 5 GB.' })).toBe('Le fichier dépasse la taille autorisée.');
    expect(errorMessage('fr', { code: 'weak_password', message: 'short', params: { count: 10 } })).toBe('Le mot de passe doit comporter au moins 10 caractères.');
  });

  it('reads a store failure through the API as the store’s own code', () => {
    expect(errorMessage('fr', { code: 'storage_unavailable', message: 'RGW timed out' })).toBe('Le stockage ne répond pas pour le moment. Réessayez dans un instant.');
  });

  it('falls back to the server’s message for a code it does not know, and to a generic one without either', () => {
    expect(errorMessage('fr', { code: 'http_502', message: 'Bad gateway' })).toBe('Bad gateway');
    expect(errorMessage('en', { code: 'http_502' })).toBe('Something went wrong on the server.');
  });

  it('has a message in every language for every code the API can answer', () => {
    for (const locale of LOCALES) {
      for (const code of [...ERROR_CODES, ...STORAGE_ERROR_CODES.map((c) => `storage_${c}`)]) {
        const message = errorMessage(locale, { code });
        expect(message, `${locale} ${code}`).not.toBe('');
        expect(message, `${locale} ${code}`).not.toContain('errors:');
      }
    }
  });
});
