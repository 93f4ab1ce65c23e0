// Shapes shared by the distributions and by the wrapper that uses them.
export type { ServerAddress } from '../options';

/** Places keys on servers the way one family of memcached clients does. */
export interface Distribution {
  /**
   * Position (index into the server list) of the server that holds `key`: the key exactly as the application hands it
   * to its client, i.e. without a namespace / key prefix that the client adds on the wire.
   */
  serverFor(key: string): number;
}
