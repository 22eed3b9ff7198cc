import type { Config } from '../config.ts';
import { checkCors, corsRulesFor, createS3Store, type CORSRule } from '../storage/s3.ts';

/** `airlift storage cors`: the bucket CORS rules browser uploads need, merged with the bucket's other rules. */

/** The origin browsers upload from: PUBLIC_BASE_URL without its path (origins match exactly). */
export function siteOrigin(config: Config): string {
  return new URL(config.publicBaseUrl).origin;
}

/**
 * The rules to write for `origin`: Airlift's own first, since S3 and R2 apply the first rule
 * that matches a request (a broad rule kept below cannot shadow them), then the existing
 * rules with `origin` taken out of them. Rules for other sites on the bucket stay as they were;
 * a rule left with no origin is dropped.
 */
export function mergeCorsRules(existing: CORSRule[] | null, origin: string): { rules: CORSRule[]; kept: number; replaced: number } {
  const others: CORSRule[] = [];
  let replaced = 0;
  for (const rule of existing ?? []) {
    const origins = rule.AllowedOrigins ?? [];
    const rest = origins.filter((o) => o !== origin);
    if (rest.length === origins.length) others.push(rule);
    else {
      replaced++;
      if (rest.length > 0) others.push({ ...rule, AllowedOrigins: rest });
    }
  }
  return { rules: [...corsRulesFor(origin), ...others], kept: others.length, replaced };
}

const normalised = (rule: CORSRule) =>
  JSON.stringify([
    rule.ID ?? null,
    ...[rule.AllowedOrigins, rule.AllowedMethods?.map((m) => m.toUpperCase()), rule.AllowedHeaders?.map((h) => h.toLowerCase()), rule.ExposeHeaders?.map((h) => h.toLowerCase())].map(
      (list) => [...(list ?? [])].sort(),
    ),
    rule.MaxAgeSeconds ?? null,
  ]);

/** Same rules in the same order; the order of names inside a rule does not matter (stores reorder them). */
export function sameCorsRules(a: CORSRule[] | null, b: CORSRule[] | null): boolean {
  const x = a ?? [];
  const y = b ?? [];
  return x.length === y.length && x.every((rule, i) => normalised(rule) === normalised(y[i]!));
}

/** The rules as an operator reads them: one block per rule, numbered in the order the store applies them. */
export function describeCorsRules(rules: CORSRule[] | null, origin: string): string[] {
  if (!rules?.length) return ['  (none)'];
  const list = (values: string[] | undefined) => (values?.length ? values.join(', ') : '—');
  return rules.flatMap((rule, i) => [
    `  ${i + 1}. origins          ${list(rule.AllowedOrigins)}${rule.AllowedOrigins?.includes(origin) ? '   ← this site' : ''}`,
    `     methods          ${list(rule.AllowedMethods)}`,
    `     request headers  ${list(rule.AllowedHeaders)}`,
    `     exposed headers  ${list(rule.ExposeHeaders)}`,
    ...(rule.MaxAgeSeconds !== undefined ? [`     preflight cache  ${rule.MaxAgeSeconds} s`] : []),
    ...(rule.ID ? [`     id               ${rule.ID}`] : []),
  ]);
}

/**
 * Writes the rules (only when they change), then prints what the store answers back.
 * Store failures are thrown as `StorageError`s, whose messages say what to check.
 */
export async function applyCors(config: Config, out: (line: string) => void): Promise<number> {
  const origin = siteOrigin(config);
  if (!config.r2) {
    out(`The local store needs no CORS rules: browsers upload to the app itself, at its own origin (${origin}). Nothing to do.`);
    return 0;
  }
  const say = (...lines: string[]) => lines.forEach((line) => out(line));
  const store = await createS3Store(config.r2);
  try {
    say(`Bucket "${store.bucket}" at ${config.r2.endpoint}; browsers upload from ${origin} (PUBLIC_BASE_URL).`);
    const before = await store.getBucketCors();
    say('', 'CORS rules before:', ...describeCorsRules(before, origin));
    const { rules, kept, replaced } = mergeCorsRules(before, origin);
    if (sameCorsRules(before, rules)) {
      say('', 'They already are the rules Airlift needs; nothing written.');
    } else {
      await store.putBucketCors(rules);
      const after = await store.getBucketCors();
      say('', 'CORS rules after:', ...describeCorsRules(after, origin));
      const notes = [replaced && `replaced ${replaced} rule(s) that named ${origin}`, kept && `kept ${kept} rule(s) for other origins`].filter(Boolean);
      say('', `Wrote the rule for ${origin} first${notes.length ? `; ${notes.join(', ')}` : ''}.`);
      const problems = checkCors(after, origin);
      if (problems.length > 0) {
        say(...problems.map((p) => `✗ ${p}`));
        return 1;
      }
      say('R2 can take about 30 seconds to apply new rules.');
    }
    say(`✓ Browsers on ${origin} can PUT, GET and HEAD objects and read each part's ETag. Check the whole path with: npx airlift doctor`);
    return 0;
  } finally {
    await store.close();
  }
}
