import { configDefaults, defineConfig } from 'vitest/config';
import { coreTests } from './vitest.cores.config.ts';

export default defineConfig({
  test: {
    include: ['daemon/**/*.test.ts', 'scripts/**/*.test.ts', 'test/**/*.test.ts', 'web-ui/**/*.test.ts'],
    // `npm test` runs the pure cores' tests once, with coverage (vitest.cores.config.ts), and leaves them out here.
    exclude: [...configDefaults.exclude, ...(process.env['BALLOTSAFE_CORES_APART'] === '1' ? coreTests : [])],
    // Native modules (better-sqlite3, sharp) and FUSE mounts behave best in child processes.
    pool: 'forks',
    // Two files at a time even on 2 cores (vitest's default there is 1): most files wait on child
    // processes, FUSE, chromium or timers, so the suite takes ~60 % of its one-at-a-time wall time.
    // Every test uses its own temp folders, ports and loop devices; the suite passed this way at load 12.
    maxWorkers: 2,
    testTimeout: 120_000,
    hookTimeout: 120_000,
    reporters: ['default'],
  },
});
