/** Sizes in the words of the snapshot's refusals (GiB, MiB, KiB, bytes). */
const gib = 1024 ** 3;
export function humanBytes(n: number): string {
  if (n >= gib) return `${(n / gib).toFixed(2)} GiB`;
  if (n >= 1024 ** 2) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  if (n >= 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${n} bytes`;
}
