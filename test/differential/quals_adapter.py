"""Python side of test/differential/quals.test.ts: builds multicorn.Qual objects (the host's module, the same class
multicorn2 hands a wrapper) from JSON triples and calls the emitted pymcache_fdw.quals.lookup_keys with them.
A JSON operator array [name, use_or] becomes the tuple multicorn uses for `col op ANY/ALL(array)`."""
from multicorn import Qual

from pymcache_fdw.quals import lookup_keys


def lookup_keys_of(triples, key_column):
    quals = [Qual(field, tuple(operator) if isinstance(operator, list) else operator, value)
             for field, operator, value in triples]
    return lookup_keys(quals, key_column)
