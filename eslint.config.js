// ESLint 9 flat config (#17 "Rules that run"): promise handling checked with type information,
// and the layer direction of daemon/ as import boundaries. `npm run lint`; part of `npm test`.
import boundaries from 'eslint-plugin-boundaries';
import tseslint from 'typescript-eslint';
import { layerOf } from './test/architecture/layers.js';

const layers = Object.entries(layerOf);

/** A layer may import its own rank and below; every folder above it is out of bounds. */
const upwardPolicies = layers
  .map(([name, rank]) => ({ name, rank, above: layers.filter(([, r]) => r > rank).map(([n]) => n) }))
  .filter(({ above }) => above.length > 0)
  .map(({ name, rank, above }) => ({
    from: { element: { type: name } },
    disallow: { to: { element: { type: above } } },
    message: `daemon/${name} (layer ${rank}) must not import from a higher layer: imports point down (core → capture → importer, snapshot → drives, preaudit, … → custody → web → runtime, cli)`,
  }));

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.dist-building-*/**', 'daemon/drives/fixtures/**'] },
  {
    files: ['daemon/**/*.ts', 'daemon/**/*.tsx'],
    // Some files disable rules this config does not turn on (for other tools); that is not a finding.
    linterOptions: { reportUnusedDisableDirectives: 'off' },
    languageOptions: {
      parser: tseslint.parser,
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { '@typescript-eslint': tseslint.plugin, boundaries },
    settings: {
      // daemon/cli.ts (the entry point) is in no folder; it is at the top, where every import points down.
      'boundaries/elements': layers.map(([name]) => ({ type: name, pattern: `daemon/${name}` })),
      // Tests may reach any layer (a test rig is a composition root); the architecture test skips them too.
      'boundaries/ignore': ['**/*.test.ts', '**/*.test.tsx'],
      'boundaries/dependency-nodes': ['import', 'export', 'dynamic-import'],
      'import/resolver': { node: { extensions: ['.ts', '.tsx', '.js', '.mjs'] } },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      'boundaries/dependencies': ['error', { default: 'allow', policies: upwardPolicies }],
    },
  },
);
