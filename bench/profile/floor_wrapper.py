# The least a Multicorn wrapper can do for a key lookup (one row, no I/O, a constant estimate), to measure the
# host and PostgreSQL floor of a foreign scan. CREATE SERVER floor_server FOREIGN DATA WRAPPER multicorn
# OPTIONS (wrapper 'floor_wrapper.OneRow'); CREATE FOREIGN TABLE floor (key text, value text) SERVER floor_server;
from multicorn import ForeignDataWrapper
class OneRow(ForeignDataWrapper):
    """The least a Multicorn wrapper can do for a key lookup: one row, no I/O."""
    def get_rel_size(self, quals, columns):
        return (1, 64)
    def get_path_keys(self):
        return [(('key',), 1)]
    def execute(self, quals, columns, sortkeys=None):
        for qual in quals:
            return [{'key': qual.value, 'value': 'v'}]
        return []
