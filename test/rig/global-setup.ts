// Starts the real servers the test layers share, once per `vitest run`, and stops them afterwards: the global setup
// of the `servers` project (vitest.config.ts), so it runs only when a test of a layer other than codegen and runtime
// does. Tests read the addresses with `inject('memcachedServers')` and `inject('postgres')`.
import type { TestProject } from 'vitest/node';
import { startMemcachedFleet, type MemcachedAddress } from './memcached';
import { startPostgresCluster, type PostgresConnection } from './postgres';

declare module 'vitest' {
  export interface ProvidedContext {
    memcachedServers: MemcachedAddress[];
    postgres: PostgresConnection;
  }
}

/** How many memcached instances the shared fleet holds: enough for the multi-server (3-server) tests. */
const SHARED_MEMCACHED_COUNT = 3;

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const fleet = await startMemcachedFleet(SHARED_MEMCACHED_COUNT);
  let cluster: Awaited<ReturnType<typeof startPostgresCluster>> | undefined;
  try {
    cluster = await startPostgresCluster();
  } catch (error) {
    await fleet.stop();
    throw error;
  }
  project.provide('memcachedServers', fleet.servers);
  project.provide('postgres', cluster.connection);
  const startedCluster = cluster;
  return async () => {
    await startedCluster.stop();
    await fleet.stop();
  };
}
