// PymcacheFDWStats: memcached's `stats` output (general, items, settings, slabs, sizes or conns, per `stats_cmd`) as
// (stat_name, stat_value) rows, in the order the server sends them; with a `servers` list, the rows of every server in
// list order, and a `server` column (host:port) when the table declares one. Values are shown as the original
// wrapper showed pymemcache's conversions: numbers as numbers, `auth_enabled_sasl` as False/True, and the rest as sent.
import type { StatReading } from './cache-store';
import { checkStatsColumns, STAT_NAME_COLUMN, STAT_SERVER_COLUMN, STAT_VALUE_COLUMN } from './columns';
import { ForeignDataWrapper, type ColumnDefinition, type Qual, type SortKey } from './ports/host';
import { formatFloat, intToString, utf8Decode, type Bytes } from './ports/runtime';
import { ServerPool } from './server-pool';
import { endpointLabel, parseStatsTableOptions, type StatsTableOptions } from './table-options';
import type { SqlRow } from './values';

/** The stats pymemcache converts to a float (its STAT_TYPES); Python shows them with repr(float). */
const FLOAT_STATS: string[] = ['rusage_user', 'rusage_system', 'growth_factor'];
/** Rows the planner assumes: `stats` and `stats settings` send about a hundred lines. */
const STATS_ROWS_ESTIMATE = 100;
const STATS_ROW_WIDTH = 48;

/** A stat's value as text, the way Python's str() shows what pymemcache returned. */
export function statValueText(name: string, value: StatReading): string {
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (typeof value === 'number') return FLOAT_STATS.includes(name) ? formatFloat(value) : intToString(value);
  return utf8Decode(value);
}

export class PymcacheFDWStats extends ForeignDataWrapper {
  private readonly settings: StatsTableOptions;
  private readonly servers: ServerPool;

  constructor(fdwOptions: Record<string, string>, fdwColumns: Map<string, ColumnDefinition>) {
    super(fdwOptions, fdwColumns);
    this.settings = parseStatsTableOptions(fdwOptions);
    checkStatsColumns(fdwColumns);
    this.servers = new ServerPool(this.settings.servers, '');
  }

  override getRelSize(quals: Qual[], columns: Set<string>): [number, number] {
    return [STATS_ROWS_ESTIMATE * this.servers.stores.length, STATS_ROW_WIDTH];
  }

  override explain(quals: Qual[], columns: Set<string>, sortkeys: SortKey[] | null = null, verbose = false): string[] {
    const command = this.settings.statsCommand === '' ? 'stats' : 'stats ' + this.settings.statsCommand;
    const names: string[] = [];
    for (const store of this.servers.stores) names.push(store.serverLabel);
    return ['memcached ' + names.join(', ') + ': ' + command];
  }

  /** Every stat the server sends; filters such as `stat_name ~* 'connection'` are applied by PostgreSQL. */
  override async *execute(
    quals: Qual[],
    columns: Set<string>,
    sortkeys: SortKey[] | null = null,
  ): AsyncGenerator<SqlRow, void, undefined> {
    const wantServer = columns.has(STAT_SERVER_COLUMN);
    for (const perServer of await this.servers.statsOfEachServer(this.settings.statsCommand)) {
      const server = endpointLabel(perServer.endpoint);
      for (const [rawName, value] of perServer.stats) {
        const name = statName(rawName);
        const row: SqlRow = {};
        if (wantServer) row[STAT_SERVER_COLUMN] = server;
        if (columns.has(STAT_NAME_COLUMN)) row[STAT_NAME_COLUMN] = name;
        if (columns.has(STAT_VALUE_COLUMN)) row[STAT_VALUE_COLUMN] = statValueText(name, value);
        yield row;
      }
    }
  }
}

/** pymemcache keys the stats by the name's bytes. */
function statName(raw: Bytes): string {
  return utf8Decode(raw);
}
