/** The one error type of Airlift: thrown anywhere, rendered once as `{error: {code, message}}`. */
export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'AppError';
  }
}

export const badRequest = (message: string, code = 'invalid_request') => new AppError(400, code, message);
export const unauthorized = (message = 'Log in to continue.') => new AppError(401, 'unauthorized', message);
export const forbidden = (message: string, code = 'forbidden') => new AppError(403, code, message);
export const notFound = (message = 'Not found.') => new AppError(404, 'not_found', message);
export const conflict = (message: string, code = 'conflict') => new AppError(409, code, message);
export const tooLarge = (message: string) => new AppError(413, 'too_large', message);
export const unsupportedType = (message: string) => new AppError(415, 'unsupported_type', message);
export const shuttingDown = () => new AppError(503, 'shutting_down', 'The server is restarting; try again in a few seconds.');
