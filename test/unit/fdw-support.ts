// Support for the PymcacheFDW / PymcacheFDWStats unit tests: column builders that mirror what Multicorn passes, a row
// collector, and the error a call fails with. memcached itself is read and written with the rig's raw client
// (test/rig/raw-memcached.ts).
import { ColumnDefinition, type Row, type RowSource } from '../../src/ports/host';

/** A column as Multicorn describes it (type names as format_type_be / format_type_with_typemod write them). */
export function column(name: string, typeName: string): ColumnDefinition {
  const baseTypeName = typeName.split('(')[0]!;
  return new ColumnDefinition(name, 0, -1, typeName, baseTypeName, {});
}

export function columns(...definitions: Array<[string, string]>): Map<string, ColumnDefinition> {
  const result = new Map<string, ColumnDefinition>();
  for (const [name, typeName] of definitions) result.set(name, column(name, typeName));
  return result;
}

/** Every row `execute` yields. */
export async function collect(source: RowSource): Promise<Row[]> {
  const rows: Row[] = [];
  for await (const row of source) rows.push(row);
  return rows;
}

/** The error a promise or function rejects/throws with; fails when it does not. */
export async function failure(
  action: () => unknown,
): Promise<{ message: string; hint: string | null; detail: string | null }> {
  try {
    await action();
  } catch (error) {
    const e = error as { message: string; hint?: string | null; detail?: string | null };
    return { message: e.message, hint: e.hint ?? null, detail: e.detail ?? null };
  }
  throw new Error('expected an error, but the call succeeded');
}
