import type { FastifyRequest } from 'fastify';
import type { OpenApiDocument } from '../../api/openapi.ts';
import { openApiPath } from '../../api/openapi.ts';
import { needsCsrf, OPERATION_LIST, refusalsOf, TAGS, tokenScope, type Operation } from '../../shared/operations.ts';
import { html, type SafeHtml } from '../html.ts';
import { readerOf } from '../i18n-plugin.ts';
import { layout } from '../layout.ts';

/** A JSON Schema as the OpenAPI document holds it (the parts this page shows). */
interface Schema {
  $ref?: string;
  type?: string | string[];
  format?: string;
  enum?: unknown[];
  const?: unknown;
  anyOf?: Schema[];
  items?: Schema;
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean | Schema;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  minItems?: number;
  maxItems?: number;
  default?: unknown;
  description?: string;
}
interface Parameter {
  in: string;
  name: string;
  required?: boolean;
  description?: string;
  schema?: Schema;
}

type Translate = ReturnType<typeof readerOf>['t'];

/** `#/components/schemas/VideoItem` → the schema it names. */
function resolve(document: OpenApiDocument, schema: Schema): Schema {
  if (!schema.$ref) return schema;
  const name = schema.$ref.split('/').at(-1)!;
  return (document.components?.schemas?.[name] as Schema | undefined) ?? {};
}

/** A schema in a few words: `string, 1–255 characters`, `one of video, photo, cover`, `list of integer`. */
function typeText(document: OpenApiDocument, raw: Schema, t: Translate): string {
  const schema = resolve(document, raw);
  const named = raw.$ref ? raw.$ref.split('/').at(-1)! : undefined;
  if (schema.anyOf) {
    const others = schema.anyOf.filter((s) => s.type !== 'null');
    const text = others.map((s) => typeText(document, s, t)).join(' | ');
    return others.length < schema.anyOf.length ? `${text} ${t('api:docs.nullable')}` : text;
  }
  if (schema.const !== undefined) return JSON.stringify(schema.const);
  if (schema.enum) return `${t('api:docs.oneOf')} ${schema.enum.map((v) => String(v)).join(', ')}`;
  const types = Array.isArray(schema.type) ? schema.type : [schema.type ?? 'object'];
  const nullable = types.includes('null');
  const main = types.filter((type) => type !== 'null')[0] ?? 'object';
  let text: string = main;
  if (main === 'array' && schema.items) text = `${t('api:docs.listOf')} ${typeText(document, schema.items, t)}`;
  else if (named) text = named;
  if (schema.format) text += ` (${schema.format})`;
  const bounds = [range(schema.minLength, schema.maxLength), range(schema.minimum, schema.maximum), range(schema.minItems, schema.maxItems)].filter(Boolean);
  if (bounds.length) text += `, ${bounds.join(', ')}`;
  if (schema.default !== undefined) text += `, = ${JSON.stringify(schema.default)}`;
  return nullable ? `${text} ${t('api:docs.nullable')}` : text;
}

/** `1–255`, `≥ 0`, `≤ 100`; JavaScript's largest safe integer is no bound worth reading. */
function range(min: number | undefined, max: number | undefined): string {
  const upper = max !== undefined && max < Number.MAX_SAFE_INTEGER ? max : undefined;
  if (min !== undefined && upper !== undefined) return `${min}–${upper}`;
  if (min !== undefined && min > 0) return `≥ ${min}`;
  if (upper !== undefined) return `≤ ${upper}`;
  return '';
}

/** A table of fields: name, type, required, notes. */
function fieldTable(t: Translate, caption: string, id: string, rows: { name: string; type: string; required: boolean; notes?: string }[]): SafeHtml {
  return html`<div class="table-wrap"><table class="admin-table api-fields" id="${id}">
    <caption>${caption}</caption>
    <thead><tr><th scope="col">${t('api:docs.field')}</th><th scope="col">${t('api:docs.type')}</th><th scope="col">${t('api:docs.required')}</th><th scope="col">${t('api:docs.notes')}</th></tr></thead>
    <tbody>${rows.map(
      (row) => html`<tr>
        <th scope="row" data-label="${t('api:docs.field')}"><code>${row.name}</code></th>
        <td data-label="${t('api:docs.type')}"><code>${row.type}</code></td>
        <td data-label="${t('api:docs.required')}">${row.required ? t('api:docs.yes') : t('api:docs.no')}</td>
        <td data-label="${t('api:docs.notes')}" lang="en">${row.notes ?? ''}</td>
      </tr>`,
    )}</tbody>
  </table></div>`;
}

const propertyRows = (document: OpenApiDocument, schema: Schema, t: Translate) =>
  Object.entries(schema.properties ?? {}).map(([name, property]) => ({
    name,
    type: typeText(document, property, t),
    required: schema.required?.includes(name) ?? false,
    notes: resolve(document, property).description,
  }));

function authText(operation: Operation, t: Translate): SafeHtml {
  const scope = tokenScope(operation);
  const lines = [
    t(`api:docs.auth.${operation.auth}`),
    needsCsrf(operation) ? t('api:docs.auth.csrf') : '',
    scope ? t('api:docs.auth.token', { scope }) : operation.auth === 'none' ? '' : t('api:docs.auth.noToken'),
  ].filter(Boolean);
  return html`<p class="api-auth"><strong>${t('api:docs.auth')}</strong>: ${lines.join(' ')}</p>`;
}

function operationSection(document: OpenApiDocument, operation: Operation, t: Translate): SafeHtml {
  const described = document.paths?.[openApiPath(operation.path)]?.[operation.method.toLowerCase() as 'get'] as
    | { parameters?: Parameter[]; requestBody?: { content: Record<string, { schema: Schema }> }; responses: Record<string, { content?: Record<string, { schema: Schema }> }> }
    | undefined;
  const parameters = described?.parameters ?? [];
  const parameterRows = (place: string) =>
    parameters.filter((p) => p.in === place).map((p) => ({ name: p.name, type: p.schema ? typeText(document, p.schema, t) : 'string', required: p.required ?? false, notes: p.description }));
  const pathRows = parameterRows('path');
  const queryRows = parameterRows('query');
  const body = described?.requestBody?.content['application/json']?.schema;
  const bodySchema = body && resolve(document, body);
  const answer = described?.responses[String(operation.status)]?.content?.['application/json']?.schema;
  const answerSchema = answer && resolve(document, answer);
  const id = `op-${operation.id}`;
  // Closed at first: the page reads as the list of operations, each opened where it is wanted.
  return html`<details class="api-op" id="${id}">
    <summary><h3><span class="api-method api-method-${operation.method.toLowerCase()}">${operation.method}</span> <code class="api-path">${operation.path}</code> <span class="api-summary">${t(`api:op.${operation.id}`)}</span></h3></summary>
    ${authText(operation, t)}
    ${pathRows.length ? fieldTable(t, t('api:docs.params'), `${id}-params`, pathRows) : ''}
    ${queryRows.length ? fieldTable(t, t('api:docs.query'), `${id}-query`, queryRows) : ''}
    ${bodySchema ? fieldTable(t, t('api:docs.body'), `${id}-body`, propertyRows(document, bodySchema, t)) : ''}
    ${bodySchema?.additionalProperties === false ? html`<p class="muted">${t('api:docs.strict')}</p>` : ''}
    <h4>${t('api:docs.answer')}</h4>
    ${answerSchema?.properties
      ? fieldTable(t, t('api:docs.answerFields', { status: operation.status }), `${id}-answer`, propertyRows(document, answerSchema, t))
      : html`<p>${operation.answer ? `${operation.status}, ${typeText(document, answer!, t)}` : t('api:docs.noContent', { status: operation.status })}</p>`}
    <h4>${t('api:docs.errors')}</h4>
    <dl class="api-errors" id="${id}-errors">${refusalsOf(operation).map(
      (refusal) => html`<div><dt>${refusal.status}</dt><dd>${refusal.codes.map((code, i) => html`${i ? ', ' : ''}<code>${code}</code>`)}</dd></div>`,
    )}</dl>
  </details>`;
}

/** `/api/docs`: every operation for people, by area, from the same document `/api/v1/openapi.json` serves. */
export function renderApiDocs(request: FastifyRequest, document: OpenApiDocument): string {
  const { t } = readerOf(request);
  const byTag = TAGS.map((tag) => ({ tag, operations: OPERATION_LIST.filter((operation) => operation.tag === tag) }));
  return layout(
    request,
    t('api:docs.title'),
    html`<div class="api-docs">
      <h1>${t('api:docs.title')}</h1>
      <p>${t('api:docs.intro')}</p>
      <p><a href="/api/v1/openapi.json" type="application/json">${t('api:docs.json')}</a> (<code>/api/v1/openapi.json</code>)</p>
      <nav aria-label="${t('api:docs.toc')}"><ul class="api-toc">${byTag.map(({ tag }) => html`<li><a href="#tag-${tag}">${tag}</a></li>`)}</ul></nav>
      ${byTag.map(
        ({ tag, operations }) => html`<section class="api-tag" id="tag-${tag}" aria-labelledby="tag-${tag}-title">
          <h2 id="tag-${tag}-title">${tag}</h2>
          <p>${t(`api:tag.${tag}`)}</p>
          ${operations.map((operation) => operationSection(document, operation, t))}
        </section>`,
      )}
    </div>`,
  );
}
