import { configDefaults, defineConfig } from 'vitest/config';

/**
 * The layers that need neither memcached nor PostgreSQL: the emitter, and the runtime port's Node binding against
 * its Python one under /usr/bin/python3. Their project has no global setup, so `npm run test:codegen` and
 * `npm run test:runtime` start no server.
 */
const STANDALONE = ['test/codegen/**/*.test.ts', 'test/runtime/**/*.test.ts'];

export default defineConfig({
  test: {
    // Real servers and a real PostgreSQL: generous per-test limits, but no timing assertions anywhere.
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Two cores: a file per core keeps Python subprocesses and the backend from starving each other.
    maxWorkers: 2,
    projects: [
      { extends: true, test: { name: 'standalone', include: STANDALONE } },
      {
        extends: true,
        test: {
          name: 'servers',
          include: ['test/**/*.test.ts'],
          exclude: [...configDefaults.exclude, ...STANDALONE],
          // memcached and PostgreSQL, started once per run when a test of this project runs (test/rig/global-setup.ts).
          globalSetup: ['test/rig/global-setup.ts'],
        },
      },
    ],
  },
});
