import type { FastifyRequest } from 'fastify';
import type { AppError } from '../../errors.ts';
import { errorMessage } from '../../shared/i18n/error-message.ts';
import { html } from '../html.ts';
import { readerOf } from '../i18n-plugin.ts';
import { layout } from '../layout.ts';

export function renderErrorPage(request: FastifyRequest, error: AppError): string {
  const { locale, t } = readerOf(request);
  const heading = t(error.status === 404 ? 'common:error.notFound' : error.status >= 500 ? 'common:error.server' : 'common:error.refused');
  return layout(
    request,
    heading,
    html`<section class="card narrow">
      <h1>${heading}</h1>
      <p role="alert">${errorMessage(locale, error)}</p>
      <p><a class="button" href="/">${t('common:error.back')}</a></p>
    </section>`,
  );
}
