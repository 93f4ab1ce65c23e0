// Shapes shared by the distributions and by the wrapper that uses them.
export type { ServerAddress } from '../options';

/** Places keys on servers the way one family of memcached clients does. */
export interface Distribution {
  /**
   * Position (index into the server list) of the server that holds `key`: the key exactly as the application hands it
   * to its client, i.e. without a namespace / key prefix that the client adds on the wire.
   */
  serverFor(key: string): number;

  /**
   * Where the application's client sends `key` while the servers flagged in `down` (one flag per server position)
   * are marked dead: the same as serverFor when that server is up; otherwise the server the client rehashes to, or
   * null when the client does not move the key (libmemcached by default) or gives up.
   */
  serverForWhileDown(key: string, down: readonly boolean[]): number | null;
}
