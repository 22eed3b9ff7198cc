import type { FastifyError } from 'fastify';
import { z, ZodError } from 'zod';
import { isDatabaseUnavailable } from './db/unavailable.ts';
import { AppError } from './errors.ts';
import type { ErrorCode } from './shared/error-codes.ts';
import { StorageError, type StorageErrorCode } from './storage/driver.ts';

/**
 * The one table from anything thrown to the status, code and message a client may see. Every
 * scope renders what `toAppError` gives and chooses only the format: the API's JSON, the app's
 * HTML error page, the local store's bucket-style answers (which keep the store's own codes).
 */
export function toAppError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  if (error instanceof ZodError) {
    // The message is the field's and what is wrong with it (`fieldMessage` below).
    return new AppError(400, 'invalid_request', error.issues[0]?.message ?? 'Invalid input.', { cause: error });
  }
  if (error instanceof StorageError) {
    // A refusal the request caused has its status; any other failure of the store is a bad
    // gateway, with the message that tells the operator what to check.
    return new AppError(STORAGE_STATUS[error.code] ?? 502, `storage_${error.code}`, error.message, { cause: error });
  }
  if (isDatabaseUnavailable(error)) {
    return new AppError(503, 'database_unavailable', 'The database is not answering right now. Try again in a moment.', { cause: error });
  }
  const fastifyError = error as Partial<FastifyError>;
  const known = fastifyError.code === undefined ? undefined : FASTIFY_ERRORS[fastifyError.code];
  if (known) return new AppError(known.status, known.code, known.message, { cause: error });
  const status = fastifyError.statusCode;
  if (status && status >= 400 && status < 500) {
    return new AppError(status, status === 429 ? 'rate_limited' : 'invalid_request', fastifyError.message ?? 'Bad request.', { cause: error });
  }
  return new AppError(500, 'internal_error', 'Internal Server Error', { cause: error });
}

/**
 * The store's refusals that the request caused, by status. `no_such_upload` is 404, as S3's
 * NoSuchUpload: the upload is gone (completed, aborted, or lost by the store), which the
 * browser client takes as "start afresh" when it resumes.
 */
const STORAGE_STATUS: Partial<Record<StorageErrorCode, number>> = {
  no_such_upload: 404,
  invalid_part: 400,
  entity_too_small: 400,
  offset_mismatch: 409,
  precondition_failed: 412,
  url_voided: 403,
  unavailable: 503,
};

/** Fastify's own refusals, before a handler runs, in the app's words (no internals, no echoed input). */
const FASTIFY_ERRORS: Record<string, { status: number; code: ErrorCode; message: string }> = {
  FST_ERR_BAD_URL: { status: 400, code: 'invalid_url', message: 'The URL is not valid: its path has a malformed percent-encoding.' },
  FST_ERR_MAX_PARAM_LENGTH: { status: 414, code: 'uri_too_long', message: 'The URL is too long: a part of its path is longer than this server accepts.' },
  FST_ERR_NOT_FOUND: { status: 404, code: 'not_found', message: 'Not found.' },
  FST_ERR_CTP_INVALID_JSON_BODY: { status: 400, code: 'invalid_json', message: 'The request body is not valid JSON.' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { status: 400, code: 'invalid_json', message: 'The request body is empty, but its Content-Type says JSON.' },
  FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, code: 'too_large', message: 'The request body is larger than this endpoint accepts.' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { status: 415, code: 'unsupported_media_type', message: "This endpoint does not accept a body of the request's Content-Type." },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { status: 400, code: 'invalid_request', message: 'The request body does not match its Content-Length.' },
};

// ---- zod's messages ----------------------------------------------------------------------

/**
 * Every parse's message, set once for the whole process: the field, then what is wrong with
 * the value that is there ("size: expected a whole number, got a string"; "title: is
 * required."). zod 4 keeps no input in its issues, so only its error map can see it. A message
 * a schema gives itself ("The title is longer than 255 characters.") still wins.
 */
function fieldMessage(issue: z.core.$ZodRawIssue): string {
  const path = (issue.path ?? []).map((key, i) => (typeof key === 'number' ? `[${key}]` : `${i > 0 ? '.' : ''}${String(key)}`)).join('');
  const problem = issueProblem(issue);
  if (!path) return `${problem.charAt(0).toUpperCase()}${problem.slice(1)}`;
  return `${path}: ${problem}`;
}

z.config({ customError: fieldMessage });

function issueProblem(issue: z.core.$ZodRawIssue): string {
  const got = shown(issue.input);
  switch (issue.code) {
    case 'invalid_type':
      if (issue.input === undefined) return 'is required.';
      // A number that is not whole is shown; any other value by its kind.
      return `expected ${expectedType(issue)}, got ${issue.expected === 'int' ? got : kind(issue.input)}.`;
    case 'invalid_value':
      return `expected ${oneOf(issue.values.map((v) => JSON.stringify(v)))}, got ${got}.`;
    case 'too_small':
      return `${sizeBound(issue.origin, issue.minimum, issue.inclusive, 'at least', 'more than')}, got ${got}.`;
    case 'too_big':
      return `${sizeBound(issue.origin, issue.maximum, issue.inclusive, 'at most', 'less than')}, got ${got}.`;
    case 'invalid_format':
      return issue.format === 'regex' ? `is not in the expected format, got ${got}.` : `expected ${FORMATS[issue.format] ?? `a ${issue.format}`}, got ${got}.`;
    case 'not_multiple_of':
      return `must be a multiple of ${issue.divisor}, got ${got}.`;
    case 'unrecognized_keys':
      return `unknown field${issue.keys.length > 1 ? 's' : ''} ${oneOf(issue.keys.map((key) => JSON.stringify(key)), 'and')}.`;
    default: {
      const fallback = z.config().localeError?.(issue);
      return `${(typeof fallback === 'string' ? fallback : fallback?.message) ?? 'is not valid'}.`;
    }
  }
}

const TYPES: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  array: 'a list',
  object: 'an object',
  null: 'null',
};
const FORMATS: Record<string, string> = { uuid: 'a UUID', email: 'an email address', url: 'a URL', datetime: 'an ISO date and time' };

function expectedType(issue: z.core.$ZodRawIssue & { code: 'invalid_type' }): string {
  // `z.number().int()` says "number" when the value is not a number at all; the field still wants a whole one.
  if (issue.expected === 'number' && issue.inst instanceof z.ZodNumber && issue.inst.isInt) return TYPES.int!;
  return TYPES[issue.expected] ?? issue.expected;
}

function sizeBound(origin: string, bound: number | bigint, inclusive: boolean | undefined, atLeast: string, beyond: string): string {
  const than = inclusive ? atLeast : beyond;
  if (origin === 'string') return `must be ${than} ${bound} character${bound === 1 ? '' : 's'} long`;
  if (origin === 'array' || origin === 'set') return `must hold ${than} ${bound} item${bound === 1 ? '' : 's'}`;
  return `must be ${than} ${bound}`;
}

const oneOf = (items: string[], last = 'or') => (items.length > 1 ? `${items.slice(0, -1).join(', ')} ${last} ${items.at(-1)}` : (items[0] ?? ''));

/** What kind of value was sent. */
function kind(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/** The value sent, as a message may show it: numbers and short plain words as they are, anything else by its kind and size. */
function shown(value: unknown): string {
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (typeof value === 'string') {
    if (value === '') return 'an empty string';
    return value.length <= 40 && /^[\w .,@/+-]*$/.test(value) ? JSON.stringify(value) : `a string of ${value.length} characters`;
  }
  if (Array.isArray(value)) return `a list of ${value.length} item${value.length === 1 ? '' : 's'}`;
  return kind(value);
}
