// libketama-compatible consistent hashing, exactly as libmemcached 1.x builds it in weighted-ketama mode
// (MEMCACHED_BEHAVIOR_KETAMA_WEIGHTED: PHP's Memcached::OPT_LIBKETAMA_COMPATIBLE, pylibmc's "ketama_weighted").
//
// The continuum: every server gets floor(float32(weight / totalWeight * 160 / 4 * serverCount)) groups; group i hashes
// the text "host:port-i" ("host-i" when the port is memcached's default 11211) with MD5, and each of the digest's four
// little-endian 32-bit words is one point. Points are sorted by value, ties by server position. A key goes to the first
// point whose value is >= the first little-endian word of MD5(key), wrapping to the first point past the end.
import { intDiv, intToString, md5, utf8Encode, type Bytes } from '../ports/runtime';
import { DistributionError } from './errors';
import {
  FLOAT32_MAX_OPERAND,
  float32Divide,
  float32DivideByPowerOfTwo,
  float32Floor,
  float32MultiplyByInteger,
} from './float32';
import type { Distribution, ServerAddress } from './types';

/** libmemcached's MEMCACHED_POINTS_PER_SERVER_KETAMA: points per server when all weights are equal. */
const POINTS_PER_SERVER = 160;
/** Each MD5 digest yields four 32-bit points. */
const POINTS_PER_HASH = 4;
/** libmemcached omits the port from the point text when it is the default one. */
const MEMCACHED_DEFAULT_PORT = 11211;
/** Points carry their server's position in the low digits of one sortable integer (value * this + position). */
const POSITION_SLOTS = 65536;

/** The little-endian unsigned 32-bit word at `wordIndex` (0..3) of a 16-byte MD5 digest. */
function digestWord(digest: Bytes, wordIndex: number): number {
  const at = wordIndex * 4;
  return digest[at]! + digest[at + 1]! * 0x100 + digest[at + 2]! * 0x10000 + digest[at + 3]! * 0x1000000;
}

/** The key hash of libmemcached's MEMCACHED_HASH_MD5: the first little-endian word of MD5 of the key's UTF-8 bytes. */
export function ketamaKeyHash(key: string): number {
  return digestWord(md5(utf8Encode(key)), 0);
}

/**
 * How many continuum points libmemcached gives the server of weight `weight` (update_continuum, weighted branch):
 * floor(pct * 160 / 4 * serverCount + 1e-10) * 4 evaluated in C float. The + 1e-10 never moves the floor of a float
 * (below 1 it cannot reach 1, from 1 up it is under half a unit in the last place), so it is left out.
 */
export function ketamaPointsForWeight(weight: number, totalWeight: number, serverCount: number): number {
  const share = float32Divide(weight, totalWeight);
  const perServer = float32MultiplyByInteger(share, POINTS_PER_SERVER);
  const hashesForOneServer = float32DivideByPowerOfTwo(perServer, 2); // "/ 4": POINTS_PER_HASH
  const hashes = float32MultiplyByInteger(hashesForOneServer, serverCount);
  return float32Floor(hashes) * POINTS_PER_HASH;
}

/** The text libmemcached hashes for a server's group `groupIndex`. */
export function ketamaPointText(server: ServerAddress, groupIndex: number): string {
  if (server.port === MEMCACHED_DEFAULT_PORT) return `${server.host}-${intToString(groupIndex)}`;
  return `${server.host}:${intToString(server.port)}-${intToString(groupIndex)}`;
}

export class KetamaDistribution implements Distribution {
  /** Point values in ascending order. */
  readonly #pointValues: number[] = [];
  /** The server position owning the point at the same index of #pointValues. */
  readonly #pointServers: number[] = [];
  readonly #serverCount: number;

  constructor(servers: readonly ServerAddress[]) {
    this.#serverCount = servers.length;
    if (servers.length > POSITION_SLOTS) {
      throw new DistributionError(`ketama: at most ${intToString(POSITION_SLOTS)} servers are supported`);
    }
    let totalWeight = 0;
    for (const server of servers) totalWeight = totalWeight + server.weight;
    if (totalWeight > FLOAT32_MAX_OPERAND) {
      // libmemcached converts the weights to float; beyond 2^24 that conversion rounds and we would no longer match.
      throw new DistributionError(
        `ketama: the weights add up to ${intToString(totalWeight)}; keep their sum below 16777216 (scale them down)`,
      );
    }
    const encoded: number[] = [];
    for (let position = 0; position < servers.length; position++) {
      const server = servers[position]!;
      const points = ketamaPointsForWeight(server.weight, totalWeight, servers.length);
      const groups = intDiv(points, POINTS_PER_HASH);
      for (let group = 0; group < groups; group++) {
        const digest = md5(utf8Encode(ketamaPointText(server, group)));
        for (let word = 0; word < POINTS_PER_HASH; word++) {
          encoded.push(digestWord(digest, word) * POSITION_SLOTS + position);
        }
      }
    }
    // value * POSITION_SLOTS + position < 2^48: exact, and ordering by it orders by value, then by server position,
    // as libmemcached's continuum_item_cmp does.
    encoded.sort((a, b) => a - b);
    for (const point of encoded) {
      const value = intDiv(point, POSITION_SLOTS);
      this.#pointValues.push(value);
      this.#pointServers.push(point - value * POSITION_SLOTS);
    }
  }

  /** Number of points on the continuum (for EXPLAIN and tests). */
  get pointCount(): number {
    return this.#pointValues.length;
  }

  serverFor(key: string): number {
    // libmemcached short-circuits a single server without hashing.
    if (this.#serverCount === 1) return 0;
    const hash = ketamaKeyHash(key);
    // First point whose value is >= hash (binary search), wrapping past the end to the first point.
    let low = 0;
    let high = this.#pointValues.length;
    while (low < high) {
      const middle = low + intDiv(high - low, 2);
      if (this.#pointValues[middle]! < hash) {
        low = middle + 1;
      } else {
        high = middle;
      }
    }
    if (low === this.#pointValues.length) low = 0;
    return this.#pointServers[low]!;
  }

  serverForWhileDown(key: string, down: readonly boolean[]): number | null {
    // libmemcached (without REMOVE_FAILED_SERVERS, its default and pgmemcache's) fails the operation instead of
    // moving the key; with ejection it would rebuild the continuum, which the wrapper does not imitate.
    const position = this.serverFor(key);
    return down[position] === true ? null : position;
  }
}
