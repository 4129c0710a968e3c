/** "1 snapshot", "3 snapshots": a count with its noun, never "snapshot(s)". */
export function counted(n: number, one: string, many = `${one}s`): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;
}
