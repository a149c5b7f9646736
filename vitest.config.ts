import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['test/support/setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // The model and worker processes are CPU-heavy on a 2-core machine; running test files
    // one at a time keeps timing-sensitive steps (stall detection, timeouts) honest.
    fileParallelism: false,
  },
});
