// Node side of test/differential/stats.test.ts: PymcacheFDWStats built and scanned as stats_adapter.py does it.
import { ColumnDefinition } from '../../src/ports/host';
import { PymcacheFDWStats } from '../../src/stats';

export async function statsRows(options: Record<string, string>): Promise<Array<[string, string]>> {
  const columns = new Map<string, ColumnDefinition>();
  for (const name of ['stat_name', 'stat_value'])
    columns.set(name, new ColumnDefinition(name, 0, -1, 'text', 'text', {}));
  const table = new PymcacheFDWStats(options, columns);
  const rows: Array<[string, string]> = [];
  for await (const row of table.execute([], new Set(['stat_name', 'stat_value']))) {
    rows.push([row['stat_name'] as string, row['stat_value'] as string]);
  }
  return rows;
}
