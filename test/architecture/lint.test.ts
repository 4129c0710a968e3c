import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { ESLint } from 'eslint';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * Each rule of eslint.config.js fires on a planted violation (#17 "Rules that run"): the repo's
 * config, run by the ESLint API on a throwaway tree shaped like daemon/, so a rule that silently
 * stopped working (a renamed option, a resolver that finds nothing) fails here, not in review.
 */

const repo = resolve(import.meta.dirname, '../..');
const tree = mkdtempSync(join(tmpdir(), 'lint-planted-'));
afterAll(() => rmSync(tree, { recursive: true, force: true }));

function plant(files: Record<string, string>): void {
  writeFileSync(join(tree, 'tsconfig.json'), JSON.stringify({ compilerOptions: { strict: true, module: 'NodeNext', moduleResolution: 'NodeNext', allowImportingTsExtensions: true, noEmit: true, types: [] }, include: ['daemon'] }));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(tree, path)), { recursive: true });
    writeFileSync(join(tree, path), text);
  }
}

plant({
  'daemon/web/format.ts': 'export const bytesText = (n: number): string => `${n} bytes`;\n',
  'daemon/core/words.ts': 'export const plural = (n: number): string => (n === 1 ? "" : "s");\n',
  'daemon/capture/reachesUp.ts': "import { bytesText } from '../web/format.ts';\nexport const size = bytesText(3);\n",
  'daemon/capture/reachesDown.ts': "import { plural } from '../core/words.ts';\nexport const s = plural(2);\n",
  'daemon/capture/lazyUp.ts': "export const later = () => import('../web/format.ts');\n",
  'daemon/snapshot/floating.ts': 'async function write(): Promise<number> { return 1; }\nexport function start(): void {\n  write();\n}\n',
  'daemon/snapshot/awaited.ts': 'async function write(): Promise<number> { return 1; }\nexport async function start(): Promise<void> {\n  await write();\n  // A background write on purpose, its failure handled by its own caller.\n  void write();\n}\n',
  'daemon/snapshot/misused.ts': 'const ready: Promise<boolean> = Promise.resolve(true);\nexport function check(): number {\n  if (ready) return 1;\n  return 0;\n}\nexport const each = [1, 2].forEach(async (n) => { await Promise.resolve(n); });\n',
});

async function rulesFired(file: string): Promise<string[]> {
  const eslint = new ESLint({ cwd: tree, overrideConfigFile: join(repo, 'eslint.config.js') });
  const [result] = await eslint.lintFiles([join(tree, file)]);
  return (result?.messages ?? []).map((m) => m.ruleId ?? `fatal: ${m.message}`);
}

describe('the lint rules fire', () => {
  it('boundaries: an import up the layers is an error, down is not, a lazy import up is too', async () => {
    expect(await rulesFired('daemon/capture/reachesUp.ts')).toEqual(['boundaries/dependencies']);
    expect(await rulesFired('daemon/capture/reachesDown.ts')).toEqual([]);
    expect(await rulesFired('daemon/capture/lazyUp.ts')).toEqual(['boundaries/dependencies']);
  });

  it('no-floating-promises: a promise dropped on the floor is an error; awaited or void with a reason is not', async () => {
    expect(await rulesFired('daemon/snapshot/floating.ts')).toEqual(['@typescript-eslint/no-floating-promises']);
    expect(await rulesFired('daemon/snapshot/awaited.ts')).toEqual([]);
  });

  it('no-misused-promises: a promise as a condition and an async callback where nothing awaits it', async () => {
    expect(await rulesFired('daemon/snapshot/misused.ts')).toEqual(['@typescript-eslint/no-misused-promises', '@typescript-eslint/no-misused-promises']);
  });
});
