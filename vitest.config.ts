import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/rig/global-setup.ts'],
    // Real servers and a real PostgreSQL: generous per-test limits, but no timing assertions anywhere.
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Two cores: a file per core keeps Python subprocesses and the backend from starving each other.
    maxWorkers: 2,
  },
});
