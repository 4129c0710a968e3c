/**
 * The one way a size is shown to people (web pages, CLI output, alerts, reports).
 * Decimal units, 1 KB = 1,000 bytes, as drive makers, file managers and the drive's own label
 * count: a "64 GB" stick shows as 64 GB here too. One decimal below 100, none from 100 up.
 * web-ui/app.js keeps a copy for the browser; daemon/core/format.test.ts holds the two equal.
 */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '–';
  if (bytes === 1) return '1 byte';
  const units = ['bytes', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  // 999.7 KB would print as "1000 KB": carry it into the next unit instead.
  if (value >= 999.5 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  const digits = unit === 0 || value >= 99.95 ? 0 : 1;
  return `${value.toFixed(digits)} ${units[unit]}`;
}
