import type { FastifyLoggerOptions } from 'fastify';

/** Query parameters that carry signatures or credentials: never written to a log. */
const SECRET_PARAMS = /([?&](?:sig|signature|X-Amz-Signature|X-Amz-Credential|X-Amz-Security-Token|token)=)[^&]*/gi;

export const redactUrl = (url: string) => url.replace(SECRET_PARAMS, '$1[redacted]');

/** pino options: JSON lines, no cookies, CSRF tokens or signatures in them. */
export function loggerOptions(level: string): FastifyLoggerOptions & { redact: string[]; serializers: object } {
  return {
    level,
    redact: ['req.headers.cookie', 'req.headers["x-csrftoken"]', 'req.headers.authorization', 'res.headers["set-cookie"]'],
    serializers: {
      req(request: { method: string; url: string; ip?: string; headers: Record<string, unknown> }) {
        return { method: request.method, url: redactUrl(request.url), ip: request.ip, userAgent: request.headers['user-agent'] };
      },
    },
  };
}
