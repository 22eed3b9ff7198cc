import type { FastifyError } from 'fastify';
import { ZodError } from 'zod';
import { AppError } from './errors.ts';
import { StorageError, type StorageErrorCode } from './storage/driver.ts';

const STORAGE_STATUS: Partial<Record<StorageErrorCode, number>> = {
  unavailable: 503,
  no_such_upload: 409,
  invalid_part: 400,
  entity_too_small: 400,
};

/** Turns anything thrown into the status, code and message a client may see. */
export function toAppError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  if (error instanceof ZodError) {
    const issue = error.issues[0];
    const where = issue?.path.length ? `${issue.path.join('.')}: ` : '';
    const message = issue?.code === 'invalid_type' && issue.input === undefined ? 'is required.' : issue?.message ?? 'Invalid input.';
    return new AppError(400, 'invalid_request', `${where}${message}`, { cause: error });
  }
  if (error instanceof StorageError) {
    // A store misconfiguration is the operator's to fix: say what to check.
    return new AppError(STORAGE_STATUS[error.code] ?? 502, `storage_${error.code}`, error.message, { cause: error });
  }
  const fastifyError = error as Partial<FastifyError>;
  const status = fastifyError.statusCode;
  if (status && status >= 400 && status < 500) {
    const code = fastifyError.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || (status === 400 && /JSON/i.test(fastifyError.message ?? '')) ? 'invalid_json' : status === 429 ? 'rate_limited' : 'invalid_request';
    const message = code === 'invalid_json' ? 'The request body is not valid JSON.' : (fastifyError.message ?? 'Bad request.');
    return new AppError(status, code, message, { cause: error });
  }
  return new AppError(500, 'internal_error', 'Internal Server Error', { cause: error });
}
