// The options of both foreign tables, validated once when Multicorn builds the wrapper. Multicorn merges the table,
// server and user-mapping options into one dict of strings, so any option may be set at any of the three levels.
import { DEFAULT_DISTRIBUTION, DISTRIBUTION_NAMES, type DistributionName } from './distribution/index';
import { raiseError, warn } from './errors';
import { quoteForMessage } from './keys';
import {
  isPlausibleHost,
  OptionError,
  parseBooleanOption,
  parseEnumOption,
  parseIntegerOption,
  parseSecondsOption,
  parseServerList,
  rejectUnknownOptions,
  type ServerAddress,
} from './options';
import type { ConnectionSecurity } from './memcache/connection';
import { intToString, nowSeconds, type Float } from './ports/runtime';
import { parseConnectionSecurity, SECURITY_OPTIONS } from './server-security';

export const DEFAULT_HOST = 'localhost';
export const DEFAULT_PORT = 11211;
/** Seconds to wait for a TCP connection to memcached: a backend must not hang on an unreachable host. */
export const DEFAULT_CONNECT_TIMEOUT: Float = 2.0;
/** Seconds to wait for any send or receive once connected. */
export const DEFAULT_TIMEOUT: Float = 5.0;
/** memcached reads an expiration above 30 days as an absolute unix time. */
export const MAX_RELATIVE_EXPIRE = 2592000;
/** The largest expiration option accepted; whether it lands before LATEST_EXPIRATION is checked when it is used. */
export const MAX_EXPIRE = 2147483647;
/**
 * memcached keeps an expiration past 30 days as a signed 32-bit unix time: the latest instant it can hold is
 * 2038-01-19 03:14:07 UTC. A later one would wrap around and expire the item at once.
 */
export const LATEST_EXPIRATION = 2147483647;
/** LATEST_EXPIRATION as a person reads it, for messages. */
export const LATEST_EXPIRATION_TEXT = '2038-01-19 03:14:07 UTC';
const MAX_TIMEOUT_SECONDS: Float = 3600.0;
/** The largest batch_size: PostgreSQL holds a batch's rows in memory until the wrapper takes them. */
export const MAX_BATCH_SIZE = 10000;

export const CACHE_TABLE_OPTIONS: string[] = [
  'host',
  'port',
  'connect_timeout',
  'timeout',
  'row_id',
  'expire',
  'prefix',
  'insert_mode',
  'write_mode',
  'batch_size',
  'servers',
  'distribution',
  'on_server_error',
  'retry_interval',
  'full_scan',
  'item_size_max',
  ...SECURITY_OPTIONS,
];
export const STATS_TABLE_OPTIONS: string[] = [
  'host',
  'port',
  'connect_timeout',
  'timeout',
  'stats_cmd',
  'servers',
  'on_server_error',
  'retry_interval',
  ...SECURITY_OPTIONS,
];
export const INSERT_MODES: string[] = ['set', 'add'];
/** `commit`: writes wait in the transaction's write set until COMMIT; `immediate`: sent when each statement ends. */
export const WRITE_MODES: string[] = ['commit', 'immediate'];
export const STATS_COMMANDS: string[] = ['', 'items', 'settings', 'slabs', 'sizes', 'conns'];

/** `error`: a server that does not answer fails the statement; `miss`: reads take its keys as misses (WARNING). */
export const ON_SERVER_ERROR_MODES: string[] = ['error', 'miss'];
/** Seconds a server that failed is left alone before it is tried again, for tables with a `servers` list. */
export const DEFAULT_RETRY_INTERVAL = 30;
const MAX_RETRY_INTERVAL = 86400;
/** memcached's -I accepts 1 KB to 1 GB. */
const MIN_ITEM_SIZE_MAX = 1024;
const MAX_ITEM_SIZE_MAX = 1073741824;

/** One memcached server and how long to wait for it. */
export interface ServerEndpoint {
  host: string;
  port: number;
  connectTimeout: Float;
  timeout: Float;
  /** True when the server is an entry of the `servers` option, false when host/port name it (errors name the option). */
  listed: boolean;
  /** TLS and the login (server-security.ts); tables that differ in them use different connections. */
  security: ConnectionSecurity;
  /** The `item_size_max` option (bytes), or null to ask the server (`stats settings`) once per backend. */
  itemSizeMax: number | null;
}

/** `host:port`, as errors and EXPLAIN name a server. */
export function endpointLabel(endpoint: ServerEndpoint): string {
  return endpoint.host + ':' + intToString(endpoint.port);
}

/** The defaults are announced once per backend (as in the original README), not again for every table using them. */
const announcedDefaults: Set<string> = new Set<string>();

function announceDefault(option: string, value: string): void {
  if (announcedDefaults.has(option)) return;
  announcedDefaults.add(option);
  warn('Using default ' + option + ': ' + value);
}

/** Where an option is fixed: Multicorn merges the three levels, so the ERROR cannot tell which one holds it. */
export const OPTION_HINT =
  "Change the option with ALTER FOREIGN TABLE or ALTER SERVER ... OPTIONS (SET name 'value') or (DROP name).";

/** Runs `parse`, reporting an OptionError (which names the option and what it accepts) as an ERROR. */
export function checkedOption<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (error instanceof OptionError) raiseError(error.message, OPTION_HINT);
    throw error;
  }
}

/** Rejects options the table does not know; the message names them and lists the valid ones. */
export function rejectUnknown(options: Record<string, string>, valid: string[]): void {
  checkedOption(() => rejectUnknownOptions(options, valid));
}

/** A timeout in seconds: above 0 (a wait of 0 would fail every read at once) and at most an hour. */
function parseTimeout(name: string, raw: string): Float {
  const seconds = checkedOption(() => parseSecondsOption(name, raw));
  if (seconds <= 0 || seconds > MAX_TIMEOUT_SECONDS) {
    raiseError(
      'invalid value ' +
        quoteForMessage(raw) +
        ' for option "' +
        name +
        '": expected a number of seconds above 0 and at most 3600',
      OPTION_HINT,
    );
  }
  return seconds;
}

/** How long to wait for a server: connect_timeout and timeout, or their defaults. */
interface Timeouts {
  connectTimeout: Float;
  timeout: Float;
}

function parseTimeouts(options: Record<string, string>): Timeouts {
  const rawConnectTimeout = options['connect_timeout'];
  const rawTimeout = options['timeout'];
  return {
    connectTimeout:
      rawConnectTimeout === undefined ? DEFAULT_CONNECT_TIMEOUT : parseTimeout('connect_timeout', rawConnectTimeout),
    timeout: rawTimeout === undefined ? DEFAULT_TIMEOUT : parseTimeout('timeout', rawTimeout),
  };
}

/** The `item_size_max` option: memcached's -I in bytes, for servers that cannot tell it (a proxy in front of them). */
function parseItemSizeMax(options: Record<string, string>): number | null {
  const raw = options['item_size_max'];
  if (raw === undefined) return null;
  return checkedOption(() => parseIntegerOption('item_size_max', raw, MIN_ITEM_SIZE_MAX, MAX_ITEM_SIZE_MAX));
}

/** The server of a table: host and port (defaults announced with a WARNING), the timeouts, TLS and the login. */
export function parseServerEndpoint(options: Record<string, string>): ServerEndpoint {
  const rawHost = options['host'];
  let host = DEFAULT_HOST;
  if (rawHost === undefined) {
    announceDefault('host', DEFAULT_HOST);
  } else if (!isPlausibleHost(rawHost)) {
    raiseError(
      'invalid value ' +
        quoteForMessage(rawHost) +
        ' for option "host": expected a host name or address, without spaces, control characters, brackets or commas',
      OPTION_HINT,
    );
  } else {
    host = rawHost;
  }
  const rawPort = options['port'];
  let port = DEFAULT_PORT;
  if (rawPort === undefined) {
    announceDefault('port', intToString(DEFAULT_PORT));
  } else {
    port = checkedOption(() => parseIntegerOption('port', rawPort, 1, 65535));
  }
  const timeouts = parseTimeouts(options);
  return {
    host: host,
    port: port,
    connectTimeout: timeouts.connectTimeout,
    timeout: timeouts.timeout,
    listed: false,
    security: parseConnectionSecurity(options),
    itemSizeMax: parseItemSizeMax(options),
  };
}

/** The servers of a table and what to do when one of them does not answer. */
export interface ServerSetOptions {
  /** The servers in the order listed (the one of host/port without `servers`), with the timeouts. */
  endpoints: ServerEndpoint[];
  /** The same servers with their weights, as the distribution places keys on them. */
  addresses: ServerAddress[];
  /** True when the servers come from the `servers` option, false for host/port. */
  listed: boolean;
  distribution: DistributionName;
  /** `error` or `miss` (ON_SERVER_ERROR_MODES). */
  onServerError: string;
  /** Seconds a server that failed is not tried again; 0 tries it on every statement. */
  retryInterval: number;
}

function rejectCombined(options: Record<string, string>, single: string): void {
  if (options[single] === undefined) return;
  raiseError(
    'options "servers" and "' +
      single +
      '" cannot be combined: "servers" lists every server, "host" and "port" name a single one',
    'Keep one of them: DROP ' +
      single +
      ' (and its partner) and list every server as host:port[:weight] in servers, or DROP servers.',
  );
}

/**
 * The servers of a table: the `servers` list (with `distribution`), or host/port for one server; plus
 * `on_server_error` and `retry_interval`. `withDistribution` is false for stats tables, which read every server.
 */
export function parseServerSet(options: Record<string, string>, withDistribution: boolean): ServerSetOptions {
  const rawServers = options['servers'];
  let endpoints: ServerEndpoint[];
  let addresses: ServerAddress[];
  if (rawServers === undefined) {
    const endpoint = parseServerEndpoint(options);
    endpoints = [endpoint];
    addresses = [{ host: endpoint.host, port: endpoint.port, weight: 1 }];
  } else {
    rejectCombined(options, 'host');
    rejectCombined(options, 'port');
    addresses = checkedOption(() => parseServerList('servers', rawServers));
    const timeouts = parseTimeouts(options);
    const security = parseConnectionSecurity(options);
    const itemSizeMax = parseItemSizeMax(options);
    endpoints = [];
    for (const address of addresses) {
      endpoints.push({
        host: address.host,
        port: address.port,
        connectTimeout: timeouts.connectTimeout,
        timeout: timeouts.timeout,
        listed: true,
        security: security,
        itemSizeMax: itemSizeMax,
      });
    }
  }
  const rawDistribution = withDistribution ? options['distribution'] : undefined;
  const distribution =
    rawDistribution === undefined
      ? DEFAULT_DISTRIBUTION
      : checkedOption(() => parseEnumOption('distribution', rawDistribution, DISTRIBUTION_NAMES));
  const rawOnServerError = options['on_server_error'];
  const onServerError =
    rawOnServerError === undefined
      ? 'error'
      : checkedOption(() => parseEnumOption('on_server_error', rawOnServerError, ON_SERVER_ERROR_MODES));
  const rawRetryInterval = options['retry_interval'];
  // Without a list the table keeps its one server's old behaviour (tried on every statement) unless told otherwise.
  const retryInterval =
    rawRetryInterval === undefined
      ? rawServers === undefined
        ? 0
        : DEFAULT_RETRY_INTERVAL
      : checkedOption(() => parseIntegerOption('retry_interval', rawRetryInterval, 0, MAX_RETRY_INTERVAL));
  return {
    endpoints: endpoints,
    addresses: addresses,
    listed: rawServers !== undefined,
    distribution: distribution,
    onServerError: onServerError,
    retryInterval: retryInterval,
  };
}

/** Everything PymcacheFDW reads from its options. */
export interface CacheTableOptions {
  /** The first server (the only one without `servers`). */
  endpoint: ServerEndpoint;
  servers: ServerSetOptions;
  /** The key column named by `row_id`, or null to use the first column. */
  rowId: string | null;
  /** Default expiration in seconds for rows that give none; 0 = never. */
  expire: number;
  /** Key group: added to every key written, required and stripped on read. */
  prefix: string;
  /** `set` (overwrite) or `add` (an existing key is a unique violation). */
  insertMode: string;
  /** When writes reach memcached: `commit` (at COMMIT, dropped on ROLLBACK) or `immediate` (at the statement's end). */
  writeMode: string;
  /** Rows per bulk_insert call (modify_batch_size); 1 = one insert() per row, which INSERT ... RETURNING needs. */
  batchSize: number;
  /** Whether a scan without a key condition lists the servers' items (lru_crawler metadump); off: no rows, a WARNING. */
  fullScan: boolean;
}

export function parseCacheTableOptions(options: Record<string, string>): CacheTableOptions {
  rejectUnknown(options, CACHE_TABLE_OPTIONS);
  const servers = parseServerSet(options, true);
  const endpoint = servers.endpoints[0]!;
  const rawExpire = options['expire'];
  const expire =
    rawExpire === undefined ? 0 : checkedOption(() => parseIntegerOption('expire', rawExpire, 0, MAX_EXPIRE));
  if (expire > MAX_RELATIVE_EXPIRE && nowSeconds() + expire > LATEST_EXPIRATION) {
    raiseError(
      'invalid value ' +
        quoteForMessage(rawExpire === undefined ? '' : rawExpire) +
        ' for option "expire": ' +
        intToString(expire) +
        ' seconds from now is after ' +
        LATEST_EXPIRATION_TEXT +
        ', the latest expiration memcached can hold',
      'expire counts seconds from now: give at most the seconds left until then, or 0 for items that never expire.',
    );
  }
  const rawInsertMode = options['insert_mode'];
  const insertMode =
    rawInsertMode === undefined
      ? 'set'
      : checkedOption(() => parseEnumOption('insert_mode', rawInsertMode, INSERT_MODES));
  const rawWriteMode = options['write_mode'];
  const writeMode =
    rawWriteMode === undefined
      ? 'commit'
      : checkedOption(() => parseEnumOption('write_mode', rawWriteMode, WRITE_MODES));
  const rawBatchSize = options['batch_size'];
  const batchSize =
    rawBatchSize === undefined
      ? 1
      : checkedOption(() => parseIntegerOption('batch_size', rawBatchSize, 1, MAX_BATCH_SIZE));
  const rawRowId = options['row_id'];
  const rowId = rawRowId === undefined ? null : rawRowId;
  const rawPrefix = options['prefix'];
  const prefix = rawPrefix === undefined ? '' : rawPrefix;
  const rawFullScan = options['full_scan'];
  const fullScan = rawFullScan === undefined ? true : checkedOption(() => parseBooleanOption('full_scan', rawFullScan));
  return {
    endpoint: endpoint,
    servers: servers,
    rowId: rowId,
    expire: expire,
    prefix: prefix,
    insertMode: insertMode,
    writeMode: writeMode,
    batchSize: batchSize,
    fullScan: fullScan,
  };
}

/** Everything PymcacheFDWStats reads from its options. */
export interface StatsTableOptions {
  /** The first server (the only one without `servers`). */
  endpoint: ServerEndpoint;
  servers: ServerSetOptions;
  /** The argument of memcached's `stats` command; '' is the general statistics. */
  statsCommand: string;
}

export function parseStatsTableOptions(options: Record<string, string>): StatsTableOptions {
  rejectUnknown(options, STATS_TABLE_OPTIONS);
  const servers = parseServerSet(options, false);
  const endpoint = servers.endpoints[0]!;
  const rawCommand = options['stats_cmd'];
  let statsCommand = '';
  if (rawCommand !== undefined) {
    if (!STATS_COMMANDS.includes(rawCommand)) {
      raiseError(
        'invalid value ' +
          quoteForMessage(rawCommand) +
          ' for option "stats_cmd": expected one of \'\' (general statistics), items, settings, slabs, sizes, conns',
        OPTION_HINT,
      );
    }
    statsCommand = rawCommand;
  }
  return { endpoint: endpoint, servers: servers, statsCommand: statsCommand };
}
