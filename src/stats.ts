// PymcacheFDWStats: memcached's `stats` output (general, items, settings, slabs, sizes or conns, per `stats_cmd`) as
// (stat_name, stat_value) rows, in the order the server sends them; with a `servers` list, the rows of every server in
// list order, and a `server` column (host:port) when the table declares one. Values are shown as the original
// wrapper showed pymemcache's conversions (statValueText): numbers as numbers, `auth_enabled_sasl` as False/True...
import { checkStatsColumns, STAT_NAME_COLUMN, STAT_SERVER_COLUMN, STAT_VALUE_COLUMN } from './columns';
import { ForeignDataWrapper, type ColumnDefinition, type Qual, type SortKey } from './ports/host';
import { codePoints, formatFloat, intToString, parseDecimalFloat } from './ports/runtime';
import { ServerPool } from './server-pool';
import { endpointLabel, parseStatsTableOptions, type StatsTableOptions } from './table-options';
import { decimalText, parseDecimalText, type SqlRow } from './values';
import { refuseWideningUserMapping } from './server-security';

/** Stats shown as memcached sends them (pymemcache's STAT_TYPES keeps them as bytes). */
const TEXT_STATS: string[] = ['version', 'inter', 'stat_key_prefix'];
/** Stats shown as floats, as Python's repr shows them; rusage times may come with ':' for '.'. */
const FLOAT_STATS: string[] = ['rusage_user', 'rusage_system', 'growth_factor'];
/** Stats shown as True/False: a number, non-zero being True. */
const NUMBER_BOOLEAN_STATS: string[] = [
  'hash_is_expanding',
  'slab_reassign_running',
  'detail_enabled',
  'cas_enabled',
  'maxconns_fast',
  'slab_reassign',
  'slab_automove',
];
/** Rows the planner assumes: `stats` and `stats settings` send about a hundred lines. */
const STATS_ROWS_ESTIMATE = 100;
const STATS_ROW_WIDTH = 48;
const DECIMAL_DIGITS: string[] = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];
const ASCII_WHITESPACE: string[] = [' ', '\t', '\n', '\u000b', '\f', '\r'];

/**
 * `text` as Python's int() reads it in base `base` (8 or 10): surrounding ASCII whitespace, an optional sign, digits
 * with single underscores between them; the value's decimal text, or null where int() would fail.
 */
function pythonIntText(text: string, base: number): string | null {
  const characters = codePoints(text);
  let start = 0;
  let end = characters.length;
  while (start < end && ASCII_WHITESPACE.includes(characters[start]!)) start += 1;
  while (end > start && ASCII_WHITESPACE.includes(characters[end - 1]!)) end -= 1;
  let negative = false;
  if (start < end && (characters[start] === '+' || characters[start] === '-')) {
    negative = characters[start] === '-';
    start += 1;
  }
  const digits: string[] = [];
  for (let i = start; i < end; i++) {
    const character = characters[i]!;
    const digit = DECIMAL_DIGITS.indexOf(character);
    if (digit >= 0 && digit < base) {
      digits.push(character);
    } else if (character !== '_' || i === start || i === end - 1 || characters[i + 1] === '_') {
      return null;
    }
  }
  if (digits.length === 0) return null;
  if (base === 10) return decimalText(parseDecimalText((negative ? '-' : '') + digits.join(''))!);
  // Octal (umask): a few digits, well within a safe integer.
  if (digits.length > 15) return null;
  let value = 0;
  for (const octalDigit of digits) value = value * 8 + DECIMAL_DIGITS.indexOf(octalDigit);
  return intToString(negative ? -value : value);
}

/**
 * A stat's value as the stats table shows it: the way the original wrapper showed pymemcache 3.5's conversion of it
 * (its STAT_TYPES, then str()), from the text memcached sent. Numbers as decimal text, `umask` read as octal, the
 * float stats in Python's float spelling, boolean ones as True/False; a value a conversion does not take, as sent.
 */
export function statValueText(name: string, raw: string): string {
  if (TEXT_STATS.includes(name)) return raw;
  if (FLOAT_STATS.includes(name)) {
    const parsed = parseDecimalFloat(name === 'growth_factor' ? raw : raw.replaceAll(':', '.'));
    return parsed === null ? raw : formatFloat(parsed);
  }
  if (name === 'auth_enabled_sasl') return raw === 'yes' ? 'True' : 'False';
  if (name === 'umask') {
    const octal = pythonIntText(raw, 8);
    return octal === null ? raw : octal;
  }
  const integer = pythonIntText(raw, 10);
  if (integer === null) return raw;
  if (NUMBER_BOOLEAN_STATS.includes(name)) return integer === '0' ? 'False' : 'True';
  return integer;
}

export class PymcacheFDWStats extends ForeignDataWrapper {
  private readonly settings: StatsTableOptions;
  private readonly servers: ServerPool;

  constructor(fdwOptions: Record<string, string>, fdwColumns: Map<string, ColumnDefinition>) {
    super(fdwOptions, fdwColumns);
    refuseWideningUserMapping();
    this.settings = parseStatsTableOptions(fdwOptions);
    checkStatsColumns(fdwColumns);
    this.servers = new ServerPool(this.settings.servers, '');
  }

  override getRelSize(quals: Qual[], columns: Set<string>): [number, number] {
    return [STATS_ROWS_ESTIMATE * this.servers.stores.length, STATS_ROW_WIDTH];
  }

  override explain(
    quals: Qual[],
    columns: Set<string>,
    sortkeys: SortKey[] | null = null,
    verbose = false,
    limit: number | null = null,
    offset: number | null = null,
  ): string[] {
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
    limit: number | null = null,
    offset: number | null = null,
  ): AsyncGenerator<SqlRow, void, undefined> {
    const wantServer = columns.has(STAT_SERVER_COLUMN);
    for (const perServer of await this.servers.statsOfEachServer(this.settings.statsCommand)) {
      const server = endpointLabel(perServer.endpoint);
      for (const [name, value] of perServer.stats) {
        const row: SqlRow = {};
        if (wantServer) row[STAT_SERVER_COLUMN] = server;
        if (columns.has(STAT_NAME_COLUMN)) row[STAT_NAME_COLUMN] = name;
        if (columns.has(STAT_VALUE_COLUMN)) row[STAT_VALUE_COLUMN] = statValueText(name, value);
        yield row;
      }
    }
  }
}
