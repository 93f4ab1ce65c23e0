// CRC32 "modula" placement of Perl's Cache::Memcached (1.30) and Python's python-memcached: a bucket list where every
// server appears `weight` times in list order, and bucket = hash(key) mod bucket count, with
// hash = (crc32(key) >> 16) & 0x7fff over the key's bytes (UTF-8 for text keys).
// python-memcached's cmemcache_hash differs in one point: it turns a hash of 0 into 1 ("... or 1"), which moves about
// one key in 32768 to another bucket; the `pythonZeroHash` flag reproduces that.
import { crc32, intDiv, intToString, utf8Encode } from '../ports/runtime';
import { DistributionError } from './errors';
import type { Distribution, ServerAddress } from './types';

/** Largest bucket list we build: the sum of the weights (both clients materialise one entry per unit of weight). */
const MAX_BUCKETS = 1048576;

/** (crc32 >> 16) & 0x7fff of the key's UTF-8 bytes: Cache::Memcached's _hashfunc, without bit operators. */
export function cacheMemcachedKeyHash(key: string): number {
  const upperHalf = intDiv(crc32(utf8Encode(key)), 0x10000);
  return upperHalf - intDiv(upperHalf, 0x8000) * 0x8000;
}

/** Cache::Memcached tries at most this many buckets for a key (get_sock's `while ($tries++ < 20)`). */
const PERL_TRIES = 20;
/** python-memcached's Client._SERVER_RETRIES. */
const PYTHON_TRIES = 10;

export class ModulaDistribution implements Distribution {
  /** Server position for every bucket. */
  readonly #buckets: number[] = [];
  readonly #serverCount: number;
  readonly #pythonZeroHash: boolean;

  constructor(servers: readonly ServerAddress[], pythonZeroHash: boolean) {
    this.#serverCount = servers.length;
    this.#pythonZeroHash = pythonZeroHash;
    let totalWeight = 0;
    for (const server of servers) totalWeight = totalWeight + server.weight;
    if (totalWeight > MAX_BUCKETS) {
      throw new DistributionError(
        `modula: the weights add up to ${intToString(totalWeight)} buckets; keep their sum at most ${intToString(MAX_BUCKETS)}`,
      );
    }
    for (let position = 0; position < servers.length; position++) {
      const weight = servers[position]!.weight;
      for (let copy = 0; copy < weight; copy++) this.#buckets.push(position);
    }
  }

  #hash(text: string): number {
    const hash = cacheMemcachedKeyHash(text);
    return hash === 0 && this.#pythonZeroHash ? 1 : hash;
  }

  #bucket(hash: number): number {
    const bucketCount = this.#buckets.length;
    return this.#buckets[hash - intDiv(hash, bucketCount) * bucketCount]!;
  }

  serverFor(key: string): number {
    // Cache::Memcached talks to a lone server without hashing (python-memcached's one bucket gives the same answer).
    if (this.#serverCount === 1) return 0;
    return this.#bucket(this.#hash(key));
  }

  serverForWhileDown(key: string, down: readonly boolean[]): number | null {
    if (this.#serverCount === 1) return down[0] === true ? null : 0;
    let hash = this.#hash(key);
    const tries = this.#pythonZeroHash ? PYTHON_TRIES : PERL_TRIES;
    for (let attempt = 0; attempt < tries; attempt++) {
      const position = this.#bucket(hash);
      if (down[position] !== true) return position;
      if (this.#pythonZeroHash) {
        // python-memcached: serverhash = serverHashFunction(str(serverhash) + str(i))
        hash = this.#hash(intToString(hash) + intToString(attempt));
      } else {
        // Cache::Memcached: $hv += _hashfunc($tries . $real_key), $tries counting from 1
        hash = hash + this.#hash(intToString(attempt + 1) + key);
      }
    }
    return null;
  }
}
