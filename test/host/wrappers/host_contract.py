"""Small wrappers that pin down the Multicorn contract (test/host/*.test.ts).

Each wrapper reports what the host handed it as a NOTICE `JOURNAL <json>` (through log_to_postgres, so the
logging path is exercised too); the tests parse those lines. Values are described with their Python type
name and repr, so a test can assert both.
"""
import gc
import json
import time
from decimal import Decimal
from datetime import date, datetime

from multicorn import ForeignDataWrapper, TableDefinition, ColumnDefinition, ANY, ALL
from multicorn.utils import log_to_postgres, check_interrupts, DEBUG, INFO, WARNING, ERROR, CRITICAL


def describe(value):
    """{'type': 'int', 'repr': '1'} for any value; lists, tuples and dicts described recursively."""
    if isinstance(value, (list, tuple)):
        return {'type': type(value).__name__, 'items': [describe(item) for item in value]}
    if isinstance(value, dict):
        return {'type': type(value).__name__, 'items': {str(k): describe(v) for k, v in value.items()}}
    return {'type': type(value).__name__, 'repr': repr(value)}


def describe_qual(qual):
    operator = list(qual.operator) if qual.is_list_operator else qual.operator
    quantifier = None
    if qual.is_list_operator:
        quantifier = 'ANY' if qual.list_any_or_all is ANY else 'ALL' if qual.list_any_or_all is ALL else '?'
    return {'field': qual.field_name, 'operator': operator, 'quantifier': quantifier, 'value': describe(qual.value)}


def describe_sortkey(key):
    return {'attname': key.attname, 'attnum': key.attnum, 'is_reversed': key.is_reversed,
            'nulls_first': key.nulls_first, 'collate': key.collate}


def journal(event, **fields):
    fields['event'] = event
    log_to_postgres('JOURNAL ' + json.dumps(fields, sort_keys=True))


class Recorder(ForeignDataWrapper):
    """Rows from the `rows` option (JSON list of dicts); journals every call with its arguments.

    Options: rows (JSON), rel_size (JSON [rows, width]), path_keys (JSON [[[cols], rows]]), sortable (JSON
    list of column names it sorts by), can_limit ('true'), rowid ('column name'), batch ('n'), tag.
    """

    instances = 0

    def __init__(self, options, columns):
        super(Recorder, self).__init__(options, columns)
        Recorder.instances += 1
        self.options = options
        self.columns = columns
        self.tag = options.get('tag', '')
        self.rows = json.loads(options.get('rows', '[]'))
        journal('init', tag=self.tag, instance=Recorder.instances, options=describe(options),
                columns_type=type(columns).__name__,
                columns=[[c.column_name, c.type_oid, c.typmod, c.type_name, c.base_type_name, c.options]
                         for c in columns.values()])

    def get_rel_size(self, quals, columns):
        journal('get_rel_size', tag=self.tag, quals=[describe_qual(q) for q in quals],
                columns=sorted(columns), columns_type=type(columns).__name__)
        if 'rel_size' in self.options:
            return tuple(json.loads(self.options['rel_size']))
        return (len(self.rows) or 1, 10)

    def get_path_keys(self):
        return [(tuple(cols), rows) for cols, rows in json.loads(self.options.get('path_keys', '[]'))]

    def can_sort(self, sortkeys):
        journal('can_sort', tag=self.tag, sortkeys=[describe_sortkey(k) for k in sortkeys])
        sortable = json.loads(self.options.get('sortable', '[]'))
        accepted = []
        for key in sortkeys:
            if key.attname not in sortable:
                break
            accepted.append(key)
        return accepted

    def can_limit(self, limit, offset):
        journal('can_limit', tag=self.tag, limit=describe(limit), offset=describe(offset))
        return self.options.get('can_limit') == 'true'

    def execute(self, quals, columns, sortkeys=None, **kwargs):
        journal('execute', tag=self.tag, quals=[describe_qual(q) for q in quals], columns=sorted(columns),
                columns_type=type(columns).__name__,
                sortkeys=None if sortkeys is None else [describe_sortkey(k) for k in sortkeys],
                kwargs={k: describe(v) for k, v in sorted(kwargs.items())})
        rows = list(self.rows)
        for key in reversed(sortkeys or []):
            rows.sort(key=lambda row: (row.get(key.attname) is None, row.get(key.attname)),
                      reverse=key.is_reversed)
        offset = kwargs.get('offset') or 0
        limit = kwargs.get('limit')
        rows = rows[offset:]
        if limit is not None:
            rows = rows[:limit]
        for row in rows:
            yield row

    def explain(self, quals, columns, sortkeys=None, verbose=False, **kwargs):
        return ['quals: %s' % sorted(repr(q) for q in quals), 'verbose: %r' % (verbose,)]

    def end_scan(self):
        journal('end_scan', tag=self.tag)

    @property
    def rowid_column(self):
        if 'rowid' not in self.options:
            return super(Recorder, self).rowid_column
        return self.options['rowid']

    @property
    def modify_batch_size(self):
        return int(self.options.get('batch', '1'))

    def insert(self, values):
        journal('insert', tag=self.tag, values=describe(values))
        if self.options.get('returning') == 'upper':
            return {k: (v.upper() if isinstance(v, str) else v) for k, v in values.items()}
        return None

    def bulk_insert(self, all_values):
        journal('bulk_insert', tag=self.tag, rows=describe(all_values))
        if self.options.get('returning') == 'upper':
            return [{k: (v.upper() if isinstance(v, str) else v) for k, v in values.items()} for values in all_values]
        return None

    def update(self, oldvalues, newvalues):
        journal('update', tag=self.tag, oldvalues=describe(oldvalues), newvalues=describe(newvalues))
        if self.options.get('returning') == 'upper':
            return {k: (v.upper() if isinstance(v, str) else v) for k, v in newvalues.items()}
        return None

    def delete(self, oldvalues):
        journal('delete', tag=self.tag, oldvalues=describe(oldvalues))
        return None

    def end_modify(self):
        journal('end_modify', tag=self.tag)

    def begin(self, serializable):
        journal('begin', tag=self.tag, serializable=describe(serializable))

    def pre_commit(self):
        journal('pre_commit', tag=self.tag)

    def commit(self):
        journal('commit', tag=self.tag)

    def rollback(self):
        journal('rollback', tag=self.tag)

    def sub_begin(self, level):
        journal('sub_begin', tag=self.tag, level=level)

    def sub_commit(self, level):
        journal('sub_commit', tag=self.tag, level=level)

    def sub_rollback(self, level):
        journal('sub_rollback', tag=self.tag, level=level)

    @classmethod
    def import_schema(cls, schema, srv_options, options, restriction_type, restricts):
        journal('import_schema', schema=schema, srv_options=describe(srv_options), options=describe(options),
                restriction_type=restriction_type, restricts=describe(restricts))
        tables = []
        for name in ['alpha', 'beta', 'gamma']:
            if restriction_type == 'limit' and name not in restricts:
                continue
            if restriction_type == 'except' and name in restricts:
                continue
            tables.append(TableDefinition(name, columns=[
                ColumnDefinition('key', type_name='text', options={'role': 'key'}),
                ColumnDefinition('size', type_name='integer'),
            ], options={'origin': '%s.%s' % (schema, name)}))
        return tables


class Rows(ForeignDataWrapper):
    """Yields the Python values of the `python_rows` option (a Python literal evaluated here), as given."""

    def __init__(self, options, columns):
        super(Rows, self).__init__(options, columns)
        self.source = options.get('python_rows', '[]')

    def execute(self, quals, columns, sortkeys=None):
        journal('execute', columns=sorted(columns))
        rows = eval(self.source, {'Decimal': Decimal, 'date': date, 'datetime': datetime})
        if rows is None:
            return None
        return iter(rows)

    def end_scan(self):
        journal('end_scan')


class Failing(ForeignDataWrapper):
    """Fails the way the `mode` option says, in execute()."""

    def __init__(self, options, columns):
        super(Failing, self).__init__(options, columns)
        self.mode = options.get('mode', 'raise')
        if self.mode == 'init':
            raise RuntimeError('cannot start: missing server address')

    def get_rel_size(self, quals, columns):
        if self.mode == 'rel_size_list':
            return [1, 2]
        return (10, 10)

    def execute(self, quals, columns, sortkeys=None):
        if self.mode == 'raise':
            raise ValueError('key too long: 251 bytes')
        if self.mode == 'error':
            try:
                log_to_postgres('memcached refused the key', ERROR, hint='Keys are at most 250 bytes.',
                                detail='key: ' + 'k' * 10)
            finally:
                log_to_postgres('cleanup ran', WARNING)
        if self.mode == 'critical':
            log_to_postgres('the cache is gone', CRITICAL)
        if self.mode == 'levels':
            log_to_postgres('at debug', DEBUG)
            log_to_postgres('at info', INFO, hint='info hint', detail='info detail')
            log_to_postgres('at warning', WARNING)
            log_to_postgres(42)
            return [{'a': 1}]
        if self.mode == 'forever':
            return self._forever()
        if self.mode == 'busy':
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                check_interrupts()
                time.sleep(0.001)
            return []
        if self.mode == 'bad_row':
            return [42]
        if self.mode == 'bad_value':
            return [{'a': 'not a number'}]
        return []

    def _forever(self):
        i = 0
        while True:
            i += 1
            yield {'a': i}


class Probe(ForeignDataWrapper):
    """One row describing this backend's memory: PostgreSQL contexts, Python objects, RSS."""

    def execute(self, quals, columns, sortkeys=None):
        gc.collect()
        with open('/proc/self/statm') as statm:
            rss_pages = int(statm.read().split()[1])
        yield {'python_objects': len(gc.get_objects()), 'rss_kb': rss_pages * 4}


class FailingTransaction(Recorder):
    """A Recorder whose `fail_in` option names a transaction callback that raises."""

    def _maybe_fail(self, name):
        if self.options.get('fail_in') == name:
            raise RuntimeError('%s failed' % name)

    def pre_commit(self):
        super(FailingTransaction, self).pre_commit()
        self._maybe_fail('pre_commit')

    def commit(self):
        super(FailingTransaction, self).commit()
        self._maybe_fail('commit')

    def rollback(self):
        super(FailingTransaction, self).rollback()
        self._maybe_fail('rollback')
