import { defineConfig } from 'vitest/config';

// Separate from vite.config.ts, whose root is web/: tests live under test/.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/setup/databases.ts'],
    setupFiles: ['test/setup/app-name.ts'],
    testTimeout: 120_000,
    hookTimeout: 180_000,
    pool: 'forks',
    // The embedded database serialises every statement; two workers match the two cores.
    maxWorkers: 2,
    reporters: ['default'],
  },
});
