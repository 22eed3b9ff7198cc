import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { AppError } from './errors.ts';
import { toAppError } from './http-errors.ts';
import { createUploadBody, seedPresignQuery, seedSaveBody } from './shared/api.ts';
import { StorageError } from './storage/driver.ts';

const refusal = (schema: z.ZodType, value: unknown) => toAppError(schema.safeParse(value).error);

describe('toAppError', () => {
  it.each([
    ['no_such_upload', 404],
    ['invalid_part', 400],
    ['entity_too_small', 400],
    ['offset_mismatch', 409],
    ['unavailable', 503],
    ['signature_mismatch', 502],
    ['store_error', 502],
  ] as const)('gives a StorageError %s the status %i, with the store’s message', (code, status) => {
    expect(toAppError(new StorageError(code, 'what to check'))).toMatchObject({ status, code: `storage_${code}`, message: 'what to check' });
  });

  it('keeps an AppError, and hides what any other failure says', () => {
    const own = new AppError(409, 'conflict', 'Taken.');
    expect(toAppError(own)).toBe(own);
    expect(toAppError(new Error('connect ECONNREFUSED 10.0.0.1:5432'))).toMatchObject({ status: 500, code: 'internal_error', message: 'Internal Server Error' });
  });

  it('gives a 4xx of a plugin its status and message', () => {
    expect(toAppError(Object.assign(new Error('Too many requests.'), { statusCode: 429 }))).toMatchObject({ status: 429, code: 'rate_limited' });
    expect(toAppError(Object.assign(new Error('Bad form.'), { statusCode: 400 }))).toMatchObject({ status: 400, code: 'invalid_request', message: 'Bad form.' });
  });
});

describe('validation messages', () => {
  const upload = { filename: 'a.mp4', size: 10, content_type: 'video/mp4', kind: 'video' };
  it.each([
    ['a wrong type', createUploadBody, { ...upload, size: '10' }, 'size: expected a whole number, got a string.'],
    ['a fraction', createUploadBody, { ...upload, size: 1.5 }, 'size: expected a whole number, got 1.5.'],
    ['a negative size', createUploadBody, { ...upload, size: -1 }, 'size: must be at least 0, got -1.'],
    ['a missing field', createUploadBody, { ...upload, size: undefined }, 'size: is required.'],
    ['null', createUploadBody, { ...upload, size: null }, 'size: expected a whole number, got null.'],
    ['an empty string', createUploadBody, { ...upload, filename: '' }, 'filename: must be at least 1 character long, got an empty string.'],
    ['a string for a string’s length', createUploadBody, { ...upload, content_type: 'x'.repeat(300) }, 'content_type: must be at most 255 characters long, got a string of 300 characters.'],
    ['a value out of its set', createUploadBody, { ...upload, kind: 'audio' }, 'kind: expected "video", "photo", "cover" or "thumbnail", got "audio".'],
    ['unknown fields', createUploadBody, { ...upload, a: 1, b: 2 }, 'Unknown fields "a" and "b".'],
    ['not an object', createUploadBody, 'text', 'Expected an object, got a string.'],
    ['a number for a string', seedSaveBody, { title: 42, file_key: 'k' }, 'title: expected a string, got a number.'],
    ['a schema’s own message', seedSaveBody, { title: 'x'.repeat(300), file_key: 'k' }, 'The title is longer than 255 characters.'],
    ['a schema’s own message for a missing field', seedPresignQuery, {}, 'The filename parameter is required.'],
  ])('%s', (_name, schema, value, message) => {
    expect(refusal(schema, value)).toMatchObject({ status: 400, code: 'invalid_request', message });
  });
});
