import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['daemon/**/*.test.ts', 'scripts/**/*.test.ts', 'test/**/*.test.ts', 'web-ui/**/*.test.ts'],
    // Native modules (better-sqlite3, sharp) and FUSE mounts behave best in child processes.
    pool: 'forks',
    testTimeout: 120_000,
    hookTimeout: 120_000,
    reporters: ['default'],
  },
});
