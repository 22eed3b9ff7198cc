import type { FastifyRequest } from 'fastify';
import type { AppError } from '../../errors.ts';
import { html } from '../html.ts';
import { layout } from '../layout.ts';

export function renderErrorPage(request: FastifyRequest, error: AppError): string {
  const heading = error.status === 404 ? 'Not found' : error.status >= 500 ? 'Something went wrong' : 'That did not work';
  return layout(
    request,
    heading,
    html`<section class="card narrow">
      <h1>${heading}</h1>
      <p role="alert">${error.message}</p>
      <p><a class="button" href="/">Back to the library</a></p>
    </section>`,
  );
}
