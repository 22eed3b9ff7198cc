/**
 * The checks a form makes before sending anything, from the input's own attributes:
 * `accept` (the allowed types) and `data-max-size` (bytes). The server checks again (pure).
 */
import { formatSize } from '../shared/format.ts';

export interface FileRules {
  /** How the message names the file: "video", "cover image", "photo". */
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

/** What is wrong with the chosen file, as a sentence for the user, or null when it may be sent. */
export function fileProblem(file: { name: string; type: string; size: number } | undefined, rules: FileRules): string | null {
  if (!file) return rules.required ? `Choose a ${rules.label} file.` : null;
  if (!accepts(rules.accept, file)) {
    return `“${file.name}” is not an allowed ${rules.label} type${file.type ? ` (${file.type})` : ''}. Allowed: ${rules.accept.split(',').map((t) => t.trim()).join(', ')}.`;
  }
  if (rules.maxSize !== null && file.size > rules.maxSize) {
    return `“${file.name}” is ${formatSize(file.size)}; the largest ${rules.label} accepted is ${formatSize(rules.maxSize)}.`;
  }
  if (file.size === 0) return `“${file.name}” is empty.`;
  return null;
}
