// Shapes shared by the distributions and by the wrapper that uses them.

/**
 * One memcached server as the `servers` option lists it, in the application's order. Same shape as the agreed
 * ServerAddress of src/options.ts; declared here so that the placement code stands alone.
 */
export type ServerAddress = { host: string; port: number; weight: number };

/** Places keys on servers the way one family of memcached clients does. */
export interface Distribution {
  /** Position (index into the server list) of the server that holds `key`: the key exactly as the application's
   * client receives it, i.e. without a namespace / key prefix that the client adds on the wire. */
  serverFor(key: string): number;
}
