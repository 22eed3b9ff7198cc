/**
 * The checks a form makes before sending anything, from the input's own attributes:
 * `accept` (the allowed types) and `data-max-size` (bytes). The server checks again (pure).
 */
import { formatSize } from '../shared/format.ts';
import { translator } from '../shared/i18n/index.ts';
import type { Locale } from '../shared/i18n/locales.ts';

export interface FileRules {
  /** How the message names the file, in the page's language: "video", "cover image", "photo". */
  label: string;
  required: boolean;
  /** The input's `accept` attribute: MIME types, `type/*` wildcards or `.ext` suffixes. */
  accept: string;
  maxSize: number | null;
}

/** True when `accept` allows the file (an empty `accept` allows everything). */
export function accepts(accept: string, file: { name: string; type: string }): boolean {
  const tokens = accept.split(',').map((token) => token.trim().toLowerCase()).filter(Boolean);
  if (tokens.length === 0) return true;
  const name = file.name.toLowerCase();
  const type = file.type.toLowerCase();
  return tokens.some((token) => {
    if (token.startsWith('.')) return name.endsWith(token);
    if (token.endsWith('/*')) return type.startsWith(token.slice(0, -1));
    return type === token;
  });
}

/** What is wrong with the chosen file, as a sentence for the user in `locale`, or null when it may be sent. */
export function fileProblem(file: { name: string; type: string; size: number } | undefined, rules: FileRules, locale: Locale = 'en'): string | null {
  const t = translator(locale);
  const { label } = rules;
  if (!file) return rules.required ? t('upload:check.required', { label }) : null;
  if (!accepts(rules.accept, file)) {
    const allowed = rules.accept.split(',').map((type) => type.trim()).join(', ');
    return t('upload:check.type', { name: file.name, label, detail: file.type ? ` (${file.type})` : '', allowed });
  }
  if (rules.maxSize !== null && file.size > rules.maxSize) {
    return t('upload:check.size', { name: file.name, label, size: formatSize(file.size, locale), max: formatSize(rules.maxSize, locale) });
  }
  if (file.size === 0) return t('upload:check.empty', { name: file.name });
  return null;
}
