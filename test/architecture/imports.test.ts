import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
// The layers from the bottom, one table shared with eslint.config.js's boundaries rules.
import { layerOf } from './layers.js';

/**
 * Issue #17: the daemon's import graph (files as nodes, relative imports as edges) has no cycle,
 * and the imports that point up the layer list do not grow.
 *
 * Every import counts, `import type` and `export … from` included: a type-only import still ties one file to another,
 * for the cycle check as for layering.
 */

const daemonDir = resolve(import.meta.dirname, '../../daemon');

/** No import points up the layers since the direction slice of #17; keep it so. */
const upwardImportsAllowed = 0;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    if (!/\.tsx?$/.test(entry.name) || /\.test\.tsx?$/.test(entry.name)) return [];
    return [path];
  });
}

const importPattern =
  /(?:\b(?:import|export)\s+(type\s+)?[^'"();]*?\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)['"](\.{1,2}\/[^'"]+)['"]/g;

interface Edge {
  readonly target: string;
  readonly typeOnly: boolean;
}

/** Relative imports of one file, resolved to files under daemon/ (imports leaving daemon/ are not edges here). */
function importsOf(file: string): Edge[] {
  const text = readFileSync(file, 'utf8');
  const edges: Edge[] = [];
  for (const match of text.matchAll(importPattern)) {
    const spec = match[2];
    if (spec === undefined) continue;
    const target = resolve(dirname(file), spec);
    if (target.startsWith(daemonDir + '/')) edges.push({ target, typeOnly: match[1] !== undefined });
  }
  return edges;
}

/** The layer a file belongs to: its first folder under daemon/, or its own name for top-level files (cli.ts). */
function layer(file: string): { name: string; rank: number } {
  const first = relative(daemonDir, file).split('/')[0] ?? '';
  const name = first.replace(/\.tsx?$/, '');
  const rank = layerOf[name];
  if (rank === undefined) throw new Error(`daemon/${first} is in no layer: add it to layerOf`);
  return { name, rank };
}

function findCycle(graph: Map<string, string[]>): string[] | undefined {
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const visit = (node: string): string[] | undefined => {
    state.set(node, 'open');
    path.push(node);
    for (const next of graph.get(node) ?? []) {
      const seen = state.get(next);
      if (seen === 'open') return [...path.slice(path.indexOf(next)), next];
      if (seen === undefined) {
        const cycle = visit(next);
        if (cycle) return cycle;
      }
    }
    path.pop();
    state.set(node, 'done');
    return undefined;
  };
  for (const node of graph.keys()) {
    if (state.has(node)) continue;
    const cycle = visit(node);
    if (cycle) return cycle;
  }
  return undefined;
}

/** Every cycle's files, one group per strongly connected part (Tarjan), so one run shows them all. */
function cyclicGroups(graph: Map<string, string[]>): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const groups: string[][] = [];
  const connect = (node: string): void => {
    index.set(node, counter);
    low.set(node, counter);
    counter += 1;
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node) ?? []) {
      if (!index.has(next)) {
        connect(next);
        low.set(node, Math.min(low.get(node) ?? 0, low.get(next) ?? 0));
      } else if (onStack.has(next)) {
        low.set(node, Math.min(low.get(node) ?? 0, index.get(next) ?? 0));
      }
    }
    if (low.get(node) !== index.get(node)) return;
    const group: string[] = [];
    let member: string | undefined;
    do {
      member = stack.pop();
      if (member === undefined) break;
      onStack.delete(member);
      group.push(member);
    } while (member !== node);
    if (group.length > 1 || (graph.get(node) ?? []).includes(node)) groups.push(group);
  };
  for (const node of graph.keys()) if (!index.has(node)) connect(node);
  return groups;
}

/** One cycle inside each cyclic group, as `a → b → a`. */
function cycles(graph: Map<string, string[]>): string[][] {
  return cyclicGroups(graph).map((group) => {
    const inGroup = new Set(group);
    const sub = new Map(group.map((node) => [node, (graph.get(node) ?? []).filter((next) => inGroup.has(next))]));
    const cycle = findCycle(sub) ?? group;
    // Start each cycle at its first file in name order, so the printout is the same on every run.
    const ring = cycle.slice(0, -1);
    const first = ring.indexOf([...ring].sort()[0] ?? '');
    const turned = [...ring.slice(first), ...ring.slice(0, first)];
    return [...turned, turned[0] ?? ''];
  });
}

const files = sourceFiles(daemonDir);
const edges = new Map(files.map((file) => [file, importsOf(file)]));
const graph = new Map([...edges].map(([file, out]) => [file, out.map((e) => e.target)]));
const show = (file: string): string => relative(daemonDir, file);

describe('daemon import graph', () => {
  it('reads the imports it is meant to read', () => {
    // Guards the regex: if it stopped matching, both checks below would pass on an empty graph.
    const all = [...edges.values()].flat();
    expect(files.length).toBeGreaterThan(100);
    expect(all.length).toBeGreaterThan(files.length);
    expect(all.filter((e) => e.typeOnly).length).toBeGreaterThan(10);
    expect(graph.get(join(daemonDir, 'cli.ts'))?.length).toBeGreaterThan(0);
    // Both kinds of import are read (a type-only one is an edge too).
    const runtimeDb = edges.get(join(daemonDir, 'runtime/migrations.ts')) ?? [];
    expect(runtimeDb).toContainEqual({ target: join(daemonDir, 'core/db/database.ts'), typeOnly: true });
    expect(runtimeDb).toContainEqual({ target: join(daemonDir, 'capture/schema.ts'), typeOnly: false });
  });

  it('finds a cycle when there is one', () => {
    const fake = new Map([['a', ['b']], ['b', ['c']], ['c', ['a']], ['d', ['a']]]);
    expect(findCycle(fake)).toEqual(['a', 'b', 'c', 'a']);
    expect(findCycle(new Map([['a', ['b']], ['b', []]]))).toBeUndefined();
    const two = new Map([['a', ['b']], ['b', ['a']], ['c', ['d']], ['d', ['c', 'a']], ['e', ['e']]]);
    expect(cycles(two).map((cycle) => cycle.join(' → ')).sort()).toEqual(['a → b → a', 'c → d → c', 'e → e']);
  });

  it('has no import cycle', () => {
    expect(cycles(graph).map((cycle) => cycle.map(show).join(' → '))).toEqual([]);
  });

  it('does not add imports that point up the layers', () => {
    const upward: string[] = [];
    for (const [file, out] of edges) {
      const from = layer(file);
      // One file importing another counts once, however many statements it uses.
      for (const target of new Set(out.map((e) => e.target))) {
        const to = layer(target);
        if (to.rank > from.rank) upward.push(`${show(file)} → ${show(target)} (${from.name} → ${to.name})`);
      }
    }
    console.log(`${upward.length} imports point up the layers:\n  ${upward.join('\n  ')}`);
    expect(upward.length).toBeLessThanOrEqual(upwardImportsAllowed);
  });
});
