// Key -> server placement: which of the configured memcached servers holds a key, computed exactly as the
// application's own client computes it, so that the wrapper reads and writes the same servers the application does.
// See docs/servers.md for which distribution matches which client and settings.
import { intToString } from '../ports/runtime';
import { DistributionError } from './errors';
import { KetamaDistribution } from './ketama';
import { ModulaDistribution } from './modula';
import { RendezvousDistribution } from './rendezvous';
import type { Distribution, ServerAddress } from './types';

export { DistributionError } from './errors';
export type { Distribution, ServerAddress } from './types';

/**
 * ketama: libmemcached weighted ketama (PHP Memcached::OPT_LIBKETAMA_COMPATIBLE);
 * modula: Perl Cache::Memcached CRC32 buckets; modula_python: python-memcached's variant of it;
 * rendezvous: pymemcache HashClient.
 */
export type DistributionName = 'ketama' | 'modula' | 'modula_python' | 'rendezvous';

/** Every accepted `distribution` value, in the order the documentation lists them. */
export const DISTRIBUTION_NAMES: readonly DistributionName[] = ['ketama', 'modula', 'modula_python', 'rendezvous'];

/** The distribution used when the option is not given (see docs/servers.md for why). */
export const DEFAULT_DISTRIBUTION: DistributionName = 'ketama';

function describe(server: ServerAddress): string {
  return `${server.host}:${intToString(server.port)}`;
}

function checkServers(name: DistributionName, servers: readonly ServerAddress[]): void {
  if (servers.length === 0) {
    throw new DistributionError(`distribution ${name}: the server list is empty; list at least one host:port`);
  }
  const seen = new Set<string>();
  for (const server of servers) {
    if (server.weight < 1) {
      throw new DistributionError(
        `distribution ${name}: server ${describe(server)} has weight ${intToString(server.weight)}; weights start at 1`,
      );
    }
    const address = describe(server);
    if (seen.has(address)) {
      throw new DistributionError(`distribution ${name}: server ${address} is listed twice; list each server once`);
    }
    seen.add(address);
  }
}

/** The placement of `name` over `servers` (order significant); serverFor returns an index into `servers`. */
export function createDistribution(name: DistributionName, servers: readonly ServerAddress[]): Distribution {
  checkServers(name, servers);
  switch (name) {
    case 'ketama':
      return new KetamaDistribution(servers);
    case 'modula':
      return new ModulaDistribution(servers, false);
    case 'modula_python':
      return new ModulaDistribution(servers, true);
    case 'rendezvous':
      return new RendezvousDistribution(servers);
  }
}

/**
 * The server position of every key in `keys` under `name` over `servers`: the batch form of serverFor, used to group a
 * multi-key statement per server (and by the differential tests, which compare it between Node and Python).
 */
export function placeKeys(
  name: DistributionName,
  servers: readonly ServerAddress[],
  keys: readonly string[],
): number[] {
  const distribution = createDistribution(name, servers);
  const positions: number[] = [];
  for (const key of keys) positions.push(distribution.serverFor(key));
  return positions;
}

/**
 * The batch form of serverForWhileDown: where the application's client puts every key while the servers flagged in
 * `down` are dead (null: the client fails that key rather than moving it, or gives up).
 */
export function placeKeysWhileDown(
  name: DistributionName,
  servers: readonly ServerAddress[],
  keys: readonly string[],
  down: readonly boolean[],
): (number | null)[] {
  const distribution = createDistribution(name, servers);
  const positions: (number | null)[] = [];
  for (const key of keys) positions.push(distribution.serverForWhileDown(key, down));
  return positions;
}
