"""Python side of test/differential/stats.test.ts: the emitted PymcacheFDWStats, built as multicorn builds it (options,
ColumnDefinition objects in table order), scanned for every column; rows as (stat_name, stat_value) pairs."""
from multicorn import ColumnDefinition

from pymcache_fdw.stats import PymcacheFDWStats


def stats_rows(options):
    columns = {name: ColumnDefinition(name, 0, -1, 'text', 'text', {}) for name in ('stat_name', 'stat_value')}
    table = PymcacheFDWStats(options, columns)
    return [[row['stat_name'], row['stat_value']] for row in table.execute([], {'stat_name', 'stat_value'})]
