/** How figures read on the page, as in the seed: `45%`, `12.34 / 56.78 MB`, `3.2 MB/s`, `2 min 05 s` (pure). */

/** The seed's MB: 1024 × 1024 bytes. */
const MB = 1024 * 1024;
const GB = 1024 * MB;

export function formatPercent(percent: number): string {
  return `${Math.floor(Math.min(100, Math.max(0, percent)))}%`;
}

export function formatMegabytes(bytes: number): string {
  return (bytes / MB).toFixed(2);
}

/** `12.34 / 56.78 MB` */
export function formatTransferred(loaded: number, total: number): string {
  return `${formatMegabytes(loaded)} / ${formatMegabytes(total)} MB`;
}

/** `3.2 MB/s`; an unknown speed reads `0.0 MB/s`. */
export function formatSpeed(bytesPerSecond: number | null): string {
  return `${((bytesPerSecond ?? 0) / MB).toFixed(1)} MB/s`;
}

/** `45 s`, `2 min 05 s`, `1 h 02 min`, or `--` when unknown. */
export function formatTimeRemaining(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds) || seconds < 0) return '--';
  const whole = Math.ceil(seconds);
  const pad = (n: number) => String(n).padStart(2, '0');
  if (whole < 60) return `${whole} s`;
  if (whole < 3600) return `${Math.floor(whole / 60)} min ${pad(whole % 60)} s`;
  return `${Math.floor(whole / 3600)} h ${pad(Math.floor((whole % 3600) / 60))} min`;
}

/** A file size for people, wherever one is shown or told (pages, forms, error messages): `820.00 MB`, `4.27 GB`. */
export function formatSize(bytes: number): string {
  return bytes >= GB ? `${(bytes / GB).toFixed(2)} GB` : `${formatMegabytes(bytes)} MB`;
}
