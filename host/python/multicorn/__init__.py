"""The Python side of the pymcache_fdw Multicorn-compatible host.

This package mirrors the public API of multicorn2 3.x (``multicorn``): the names, signatures, defaults and
messages below are what multicorn2 hands a wrapper, so a wrapper written against this host runs unchanged on
a real multicorn2 installation. The C extension (host/src) imports it from the backend's embedded Python.
"""

import sys
from collections import OrderedDict, namedtuple
from importlib import import_module

__all__ = [
    'ANY', 'ALL', 'UNBOUND', 'SortKey', 'Qual', 'ForeignDataWrapper', 'TransactionAwareForeignDataWrapper',
    'ColumnDefinition', 'TableDefinition', 'get_class', 'OrderedDict',
]

__version__ = '3.2'

# Sentinels returned by Qual.list_any_or_all; compared by identity, as in multicorn2.
ANY = object()
ALL = object()
UNBOUND = object()

# One requested sort: column name, 1-based column number, DESC?, NULLS FIRST?, collation name or None.
SortKey = namedtuple('SortKey', ['attname', 'attnum', 'is_reversed', 'nulls_first', 'collate'])


class Qual(object):
    """A restriction `field_name operator value` the host pushed to the wrapper.

    `operator` is the operator's name ('=', '<', '~~', ...) or, for `col op ANY/ALL(array)`, a tuple
    (operator name, True for ANY / False for ALL) with `value` the list of array elements.
    """

    def __init__(self, field_name, operator, value):
        self.field_name = field_name
        self.operator = operator
        self.value = value

    @property
    def is_list_operator(self):
        return isinstance(self.operator, tuple)

    @property
    def list_any_or_all(self):
        if not self.is_list_operator:
            return None
        return ANY if self.operator[1] else ALL

    def __repr__(self):
        if self.is_list_operator:
            quantifier = 'ANY' if self.list_any_or_all is ANY else 'ALL'
            return '%s %s %s(%s)' % (self.field_name, self.operator[0], quantifier, self.value)
        return '%s %s %s' % (self.field_name, self.operator, self.value)

    def __eq__(self, other):
        if not isinstance(other, Qual):
            return False
        return (self.field_name, self.operator, self.value) == (other.field_name, other.operator, other.value)

    def __hash__(self):
        return hash((self.field_name, self.operator, self.value))


_NO_WRITE = 'This FDW does not support the writable API'


class ForeignDataWrapper(object):
    """Base class of every wrapper; defaults are multicorn2's."""

    # Startup cost of every path the host builds for this wrapper.
    _startup_cost = 20

    def __init__(self, fdw_options, fdw_columns):
        pass

    def get_rel_size(self, quals, columns):
        """(expected rows, average row width in bytes) for a scan with these quals and columns."""
        return (100000000, len(columns) * 100)

    def can_sort(self, sortkeys):
        """The prefix of `sortkeys` (list of SortKey) the wrapper returns rows sorted by."""
        return []

    def can_limit(self, limit, offset):
        """True when execute() applies LIMIT `limit` OFFSET `offset` itself (either may be None)."""
        return False

    def get_path_keys(self):
        """[(tuple of column names, expected rows per lookup), ...]: parameterized access paths."""
        return []

    def explain(self, quals, columns, sortkeys=None, verbose=False):
        """Lines shown under the Foreign Scan node in EXPLAIN."""
        return []

    def execute(self, quals, columns, sortkeys=None):
        """Rows (dicts or sequences) matching at least the quals; PostgreSQL rechecks every qual."""
        pass

    @property
    def rowid_column(self):
        raise NotImplementedError(_NO_WRITE)

    @property
    def modify_batch_size(self):
        return 1

    def insert(self, values):
        raise NotImplementedError(_NO_WRITE)

    def bulk_insert(self, all_values):
        raise NotImplementedError('This FDW does not support the bulk insert writable API')

    def update(self, oldvalues, newvalues):
        raise NotImplementedError(_NO_WRITE)

    def delete(self, oldvalues):
        raise NotImplementedError(_NO_WRITE)

    def pre_commit(self):
        pass

    def rollback(self):
        pass

    def commit(self):
        pass

    def end_scan(self):
        pass

    def end_modify(self):
        pass

    def begin(self, serializable):
        pass

    def sub_begin(self, level):
        pass

    def sub_rollback(self, level):
        pass

    def sub_commit(self, level):
        pass

    @classmethod
    def import_schema(cls, schema, srv_options, options, restriction_type, restricts):
        raise NotImplementedError('This FDW does not support IMPORT FOREIGN SCHEMA')


class TransactionAwareForeignDataWrapper(ForeignDataWrapper):
    """Keeps the writes of the current transaction in `current_transaction_state`, forgotten on rollback."""

    def __init__(self, fdw_options, fdw_columns):
        super(TransactionAwareForeignDataWrapper, self).__init__(fdw_options, fdw_columns)
        self._init_transaction_state()

    def _init_transaction_state(self):
        self.current_transaction_state = []

    def insert(self, values):
        self.current_transaction_state.append(('insert', values))

    def update(self, oldvalues, newvalues):
        self.current_transaction_state.append(('update', (oldvalues, newvalues)))

    def delete(self, oldvalues):
        self.current_transaction_state.append(('delete', oldvalues))

    def rollback(self):
        self._init_transaction_state()


def get_class(module_path):
    """The class named by a dotted path 'package.module.Class' (the server's `wrapper` option)."""
    module_name, _, class_name = module_path.rpartition('.')
    module = import_module(module_name)
    return getattr(module, class_name)


def quote_identifier(value):
    return '"%s"' % value.replace('"', '""')


def quote_option(value):
    return "'%s'" % value.replace("'", "''")


def dict_to_optionstring(options):
    return ',\n'.join('%s %s' % (name, quote_option(value)) for name, value in sorted(options.items()))


class ColumnDefinition(object):
    """A foreign table column: name, type oid, typmod, type name with and without modifier, options."""

    def __init__(self, column_name, type_oid=0, typmod=0, type_name='', base_type_name='', options=None):
        self.column_name = column_name
        self.type_oid = type_oid
        self.typmod = typmod
        self.type_name = type_name
        self.base_type_name = base_type_name
        self.options = options or {}

    def __repr__(self):
        suffix = ' options %s' % self.options if self.options else ''
        return '%s(%s, %i, %s%s)' % (type(self).__name__, self.column_name, self.type_oid, self.type_name, suffix)

    def to_statement(self):
        statement = '%s %s' % (quote_identifier(self.column_name), self.type_name)
        if self.options:
            statement += ' OPTIONS ( %s )' % dict_to_optionstring(self.options)
        return statement


class TableDefinition(object):
    """A foreign table returned by import_schema: name, list of ColumnDefinition, table options."""

    def __init__(self, table_name, schema=None, columns=None, options=None):
        self.table_name = table_name
        self.columns = columns or []
        self.options = options or {}

    def to_statement(self, schema_name, server_name):
        """The CREATE FOREIGN TABLE statement IMPORT FOREIGN SCHEMA runs for this table."""
        lines = ['CREATE FOREIGN TABLE %s.%s (' % (quote_identifier(schema_name), quote_identifier(self.table_name)),
                 ',\n'.join(column.to_statement() for column in self.columns),
                 ' \n ) SERVER %s ' % quote_identifier(server_name)]
        if self.options:
            lines.extend([' OPTIONS (', dict_to_optionstring(self.options), ')'])
        return '\n'.join(lines)
