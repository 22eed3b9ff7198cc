import type { ErrorCode } from './shared/error-codes.ts';

/** The one error type of Airlift: thrown anywhere, rendered once as `{error: {code, message}}`. */
export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: ErrorCode,
    message: string,
    options?: { cause?: unknown; params?: Record<string, string | number> },
  ) {
    super(message, options);
    this.name = 'AppError';
    this.params = options?.params;
  }

  /** Values the `errors` catalog's message for this code interpolates, when it names any. */
  readonly params: Record<string, string | number> | undefined;
}

export const badRequest = (message: string, code: ErrorCode = 'invalid_request') => new AppError(400, code, message);
export const unauthorized = (message = 'Log in to continue.') => new AppError(401, 'unauthorized', message);
export const forbidden = (message: string, code: ErrorCode = 'forbidden') => new AppError(403, code, message);
export const notFound = (message = 'Not found.') => new AppError(404, 'not_found', message);
export const conflict = (message: string, code: ErrorCode = 'conflict') => new AppError(409, code, message);
export const tooLarge = (message: string) => new AppError(413, 'too_large', message);
export const unsupportedType = (message: string) => new AppError(415, 'unsupported_type', message);
export const shuttingDown = () => new AppError(503, 'shutting_down', 'The server is restarting; try again in a few seconds.');
