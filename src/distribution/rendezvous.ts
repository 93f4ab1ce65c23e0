// Rendezvous (highest random weight) hashing exactly as pymemcache 3.5's HashClient does it with its default
// RendezvousHash: a server named "host:port" scores murmur3_32("host:port-" + key, seed 0) and the highest score
// wins; on a tie the name that sorts last wins.
// pymemcache's murmur3_32 reads a Python str one code point at a time and keeps the low 8 bits of each, with the
// length counted in code points: for ASCII that is plain MurmurHash3, for other text it is not UTF-8 based. We feed
// the same sequence so that non-ASCII keys (allow_unicode_keys=True) land where pymemcache puts them.
import { codePointOf, codePoints, intDiv, intToString, sortedStrings } from '../ports/runtime';
import { DistributionError } from './errors';
import { murmur3x86Hash32 } from './murmur3';
import type { Distribution, ServerAddress } from './types';

/** The node name pymemcache's HashClient gives a (host, port) server: '%s:%s' % (host, port). */
export function rendezvousNodeName(server: ServerAddress): string {
  return `${server.host}:${intToString(server.port)}`;
}

/** The bytes pymemcache's murmur3_32 effectively hashes for a str: the low 8 bits of every code point. */
function lowBytesOfCodePoints(text: string): number[] {
  const result: number[] = [];
  for (const character of codePoints(text)) {
    const codePoint = codePointOf(character);
    result.push(codePoint - intDiv(codePoint, 0x100) * 0x100);
  }
  return result;
}

/** pymemcache RendezvousHash's score of `nodeName` for `key`. */
export function rendezvousScore(nodeName: string, key: string): number {
  return murmur3x86Hash32(lowBytesOfCodePoints(`${nodeName}-${key}`), 0);
}

export class RendezvousDistribution implements Distribution {
  readonly #nodeNames: string[] = [];

  constructor(servers: readonly ServerAddress[]) {
    for (const server of servers) {
      if (server.weight !== 1) {
        throw new DistributionError(
          `rendezvous: server ${rendezvousNodeName(server)} has weight ${intToString(server.weight)}, but pymemcache's ` +
            'HashClient has no weights; remove the weight (or use distribution ketama or modula)',
        );
      }
      this.#nodeNames.push(rendezvousNodeName(server));
    }
  }

  serverFor(key: string): number {
    return this.#highestScore(key, []) ?? 0;
  }

  serverForWhileDown(key: string, down: readonly boolean[]): number | null {
    // HashClient removes a dead node from its hasher, so the key goes to the best of the remaining nodes.
    return this.#highestScore(key, down);
  }

  #highestScore(key: string, down: readonly boolean[]): number | null {
    let bestScore = -1;
    let bestPosition: number | null = null;
    for (let position = 0; position < this.#nodeNames.length; position++) {
      if (down[position] === true) continue;
      const name = this.#nodeNames[position]!;
      const score = rendezvousScore(name, key);
      if (score > bestScore) {
        bestScore = score;
        bestPosition = position;
      } else if (score === bestScore && bestPosition !== null) {
        // pymemcache keeps max(str(node), str(winner)): the name that sorts last by code point.
        const last = sortedStrings([name, this.#nodeNames[bestPosition]!])[1]!;
        if (last === name) bestPosition = position;
      }
    }
    return bestPosition;
  }
}
