import type { Locale } from './i18n/locales.ts';

/**
 * How figures read on the page, as in the seed — `45%`, `12.34 / 56.78 MB`, `3.2 MB/s`,
 * `2 min 05 s` — and in French with French units and decimals: `12,5 Mo/s`,
 * `88,80 / 286,10 Mo` (pure).
 */

/** The seed's MB: 1024 × 1024 bytes. */
const MB = 1024 * 1024;
const GB = 1024 * MB;

const KB = 1024;

const UNITS: Record<Locale, { b: string; kb: string; mb: string; gb: string; rate: string }> = {
  en: { b: 'B', kb: 'KB', mb: 'MB', gb: 'GB', rate: 'MB/s' },
  fr: { b: 'o', kb: 'Ko', mb: 'Mo', gb: 'Go', rate: 'Mo/s' },
};

/** `digits` decimals, the locale's separator, no grouping: `1234.56`, `1234,56` (toFixed's rounding in both). */
const decimal = (value: number, digits: number, locale: Locale) => (locale === 'fr' ? value.toFixed(digits).replace('.', ',') : value.toFixed(digits));

/** `45%` in both languages: the seed's `#progressText` reads so. */
export function formatPercent(percent: number): string {
  return `${Math.floor(Math.min(100, Math.max(0, percent)))}%`;
}

export function formatMegabytes(bytes: number, locale: Locale = 'en'): string {
  return decimal(bytes / MB, 2, locale);
}

/** `12.34 / 56.78 MB` */
export function formatTransferred(loaded: number, total: number, locale: Locale = 'en'): string {
  return `${formatMegabytes(loaded, locale)} / ${formatMegabytes(total, locale)} ${UNITS[locale].mb}`;
}

/** `3.2 MB/s`; an unknown speed reads `0.0 MB/s`. */
export function formatSpeed(bytesPerSecond: number | null, locale: Locale = 'en'): string {
  return `${decimal((bytesPerSecond ?? 0) / MB, 1, locale)} ${UNITS[locale].rate}`;
}

/** `45 s`, `2 min 05 s`, `1 h 02 min`, or `--` when unknown (the same in French). */
export function formatTimeRemaining(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds) || seconds < 0) return '--';
  const whole = Math.ceil(seconds);
  const pad = (n: number) => String(n).padStart(2, '0');
  if (whole < 60) return `${whole} s`;
  if (whole < 3600) return `${Math.floor(whole / 60)} min ${pad(whole % 60)} s`;
  return `${Math.floor(whole / 3600)} h ${pad(Math.floor((whole % 3600) / 60))} min`;
}

/** A file size for people, wherever one is shown or told (pages, forms, error messages): `820.00 MB`, `4.27 GB`, `4,27 Go`; below a megabyte `12.3 KB`, `812 o` (a thumbnail is not `0.01 MB`). */
export function formatSize(bytes: number, locale: Locale = 'en'): string {
  const units = UNITS[locale];
  if (bytes >= GB) return `${decimal(bytes / GB, 2, locale)} ${units.gb}`;
  // From 1000 of a unit on, the next one: `0.98 MB`, not `1024.0 KB`.
  if (bytes >= 1000 * KB) return `${formatMegabytes(bytes, locale)} ${units.mb}`;
  if (bytes >= 1000) return `${decimal(bytes / KB, 1, locale)} ${units.kb}`;
  return `${Math.round(bytes)} ${units.b}`;
}

/** A date (and time) in the locale's way: `2 Dec 2026, 10:15` / `2 déc. 2026, 10:15`. */
export function formatDate(date: Date | string, locale: Locale = 'en', withTime = false): string {
  return new Date(date).toLocaleString(locale === 'fr' ? 'fr-FR' : 'en-GB', { dateStyle: 'medium', ...(withTime && { timeStyle: 'short' }) });
}

/** A count or a byte total in full, grouped as the locale groups: `12,345,678`, `12 345 678` (narrow no-break spaces). */
export function formatInteger(value: number, locale: Locale = 'en'): string {
  return new Intl.NumberFormat(locale === 'fr' ? 'fr-FR' : 'en-GB', { maximumFractionDigits: 0 }).format(value);
}

/** A running time as a player shows it, the same in both languages: `0:07`, `2:05`, `1:02:05`. */
export function formatDuration(seconds: number): string {
  const whole = Math.max(0, Math.round(seconds));
  const pad = (n: number) => String(n).padStart(2, '0');
  const [h, m, s] = [Math.floor(whole / 3600), Math.floor((whole % 3600) / 60), whole % 60];
  return h ? `${h}:${pad(m)}:${pad(s)}` : `${m}:${pad(s)}`;
}
