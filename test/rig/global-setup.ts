// Starts the real servers every test layer shares, once per `vitest run`, and stops them afterwards.
// Tests read the addresses with `inject('memcachedServers')` and `inject('postgres')`.
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
