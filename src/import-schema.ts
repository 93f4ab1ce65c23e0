// IMPORT FOREIGN SCHEMA memcached FROM SERVER s INTO local_schema: the tables a memcached server offers, as foreign
// tables of that server: `cache` (every column a cache table can have) and one statistics table per `stats` command.
// LIMIT TO and EXCEPT pick among them by name; the statement's OPTIONS set the cache table's prefix and value type.
import { raiseError } from './errors';
import { InvalidKeyError, quoteForMessage, validateKey } from './keys';
import { ColumnDefinition, TableDefinition } from './ports/host';

/** The remote schema IMPORT FOREIGN SCHEMA names: memcached has no schemas, so there is one. */
export const REMOTE_SCHEMA = 'memcached';
/** The cache table's name. */
export const CACHE_TABLE = 'cache';
/** The statistics tables, by the `stats_cmd` each shows ('' is memcached's general statistics). */
const STATS_TABLES: Array<[string, string]> = [
  ['stats', ''],
  ['stats_items', 'items'],
  ['stats_settings', 'settings'],
  ['stats_slabs', 'slabs'],
  ['stats_sizes', 'sizes'],
  ['stats_conns', 'conns'],
];
/** The OPTIONS of the IMPORT statement. */
const IMPORT_OPTIONS: string[] = ['prefix', 'value_type'];
/** Types the cache table's value column can be imported as. */
const VALUE_TYPES: string[] = ['text', 'bytea', 'json', 'jsonb', 'smallint', 'integer', 'bigint'];

function column(name: string, typeName: string): ColumnDefinition {
  return new ColumnDefinition(name, 0, -1, typeName, typeName, {});
}

/** Every table IMPORT FOREIGN SCHEMA can create, by name, in the order it creates them. */
export function importableTables(): string[] {
  const names: string[] = [CACHE_TABLE];
  for (const [name] of STATS_TABLES) names.push(name);
  return names;
}

function importOptionError(message: string): never {
  return raiseError(
    message,
    "IMPORT FOREIGN SCHEMA memcached takes OPTIONS (prefix '...', value_type '...'); see docs/usage.md.",
  );
}

/** The cache table: key, value and every column memcached can tell about an item. */
function cacheTable(options: Record<string, string>): TableDefinition {
  const givenType = options['value_type'];
  const valueType = givenType === undefined ? 'text' : givenType;
  if (!VALUE_TYPES.includes(valueType)) {
    importOptionError(
      'invalid value ' +
        quoteForMessage(valueType) +
        ' for IMPORT option "value_type": expected one of ' +
        VALUE_TYPES.join(', '),
    );
  }
  const tableOptions: Record<string, string> = { row_id: 'key' };
  const prefix = options['prefix'];
  if (prefix !== undefined && prefix !== '') {
    try {
      validateKey(prefix);
    } catch (error) {
      if (error instanceof InvalidKeyError)
        importOptionError('invalid value ' + quoteForMessage(prefix) + ' for IMPORT option "prefix": ' + error.reason);
      throw error;
    }
    tableOptions['prefix'] = prefix;
  }
  const columns: ColumnDefinition[] = [
    column('key', 'text'),
    column('value', valueType),
    column('expire', 'integer'),
    column('flags', 'bigint'),
    column('cas', 'bigint'),
    column('last_access', 'timestamp with time zone'),
    column('size', 'integer'),
    column('fetched', 'boolean'),
  ];
  return new TableDefinition(CACHE_TABLE, null, columns, tableOptions);
}

/** Whether LIMIT TO (`limit`) or EXCEPT (`except`) `restricts` lets table `name` be imported. */
function wanted(name: string, restrictionType: string | null, restricts: string[]): boolean {
  if (restrictionType === 'limit') return restricts.includes(name);
  if (restrictionType === 'except') return !restricts.includes(name);
  return true;
}

/**
 * The tables of IMPORT FOREIGN SCHEMA `schema` from a server with `serverOptions` (its options and the user
 * mapping's; none is copied into the tables, which take them from the server), with the statement's `options`;
 * `restrictionType` 'limit' or 'except' applies to `restricts`.
 */
export function importedTables(
  schema: string,
  serverOptions: Record<string, string>,
  options: Record<string, string>,
  restrictionType: string | null,
  restricts: string[],
): TableDefinition[] {
  if (schema !== REMOTE_SCHEMA) {
    raiseError(
      'memcached has no schema ' + quoteForMessage(schema),
      'Write IMPORT FOREIGN SCHEMA memcached FROM SERVER ... INTO ...: memcached has no schemas, and "memcached" stands for the whole server.',
    );
  }
  for (const name of Object.keys(options)) {
    if (!IMPORT_OPTIONS.includes(name)) {
      importOptionError(
        'unknown IMPORT option ' + quoteForMessage(name) + '; valid options are: ' + IMPORT_OPTIONS.join(', '),
      );
    }
  }
  const offered = importableTables();
  for (const name of restricts) {
    if (!offered.includes(name)) {
      raiseError(
        'memcached offers no table ' + quoteForMessage(name) + ' to import',
        'The tables are: ' + offered.join(', ') + '.',
      );
    }
  }
  const tables: TableDefinition[] = [];
  if (wanted(CACHE_TABLE, restrictionType, restricts)) tables.push(cacheTable(options));
  // A table over several servers shows which server each statistic comes from.
  const listed = serverOptions['servers'] !== undefined;
  for (const [name, command] of STATS_TABLES) {
    if (!wanted(name, restrictionType, restricts)) continue;
    const columns: ColumnDefinition[] = [];
    if (listed) columns.push(column('server', 'text'));
    columns.push(column('stat_name', 'text'), column('stat_value', 'text'));
    tables.push(new TableDefinition(name, null, columns, { stats_cmd: command }));
  }
  return tables;
}
