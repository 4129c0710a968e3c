import { configDefaults, defineConfig } from 'vitest/config';
import { coreTests } from './vitest.cores.config.ts';

export default defineConfig({
  test: {
    include: ['daemon/**/*.test.ts', 'scripts/**/*.test.ts', 'test/**/*.test.ts', 'web-ui/**/*.test.ts'],
    // `npm test` runs the pure cores' tests once, with coverage (vitest.cores.config.ts), and leaves them out here.
    exclude: [...configDefaults.exclude, ...(process.env['BALLOTSAFE_CORES_APART'] === '1' ? coreTests : [])],
    // Native modules (better-sqlite3, sharp) and FUSE mounts behave best in child processes.
    pool: 'forks',
    testTimeout: 120_000,
    hookTimeout: 120_000,
    reporters: ['default'],
  },
});
