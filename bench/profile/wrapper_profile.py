"""The wrapper's Python alone, outside PostgreSQL: per-call CPU time, or cProfile's table, of one benchmark shape.

    /usr/bin/python3 bench/profile/wrapper_profile.py KIND N [SORT]
    KIND: w1 (begin, get_rel_size, get_path_keys, execute of one key, end_scan, pre_commit, commit),
          w4w (W4's write: begin, insert of one row, end_modify, pre_commit, commit),
          exec (execute of one key), w2 (the same as w1 for 1,000 keys), get1 (the client's get_many of one key:
          CacheStore, connection, socket and reply reader), get1000 (the same for 1,000 keys), rnd (the key
          generation alone, to subtract)
    SORT: a cProfile sort key (tottime, cumtime) to print the profile of N more calls.
Memcached at MEMCACHED_PORT (default 11211) on 127.0.0.1 must hold keys '1'..'10000'. Under
`valgrind --tool=callgrind` the difference of two N gives instructions per call (see docs/performance.md).
"""
import cProfile
import os
import pstats
import random
import sys
import time
from collections import OrderedDict

here = os.path.dirname(os.path.abspath(__file__))
repo = os.path.dirname(os.path.dirname(here))
sys.path.insert(0, os.path.join(repo, 'host', 'python'))
sys.path.insert(0, os.environ.get('PACKAGE_DIR', os.path.join(repo, 'python-out')))

from multicorn import ColumnDefinition, Qual  # noqa: E402
from pymcache_fdw import PymcacheFDW  # noqa: E402

COLUMNS = OrderedDict([('key', ColumnDefinition('key', 25, -1, 'text', 'text')),
                       ('value', ColumnDefinition('value', 25, -1, 'text', 'text'))])
fdw = PymcacheFDW({'host': '127.0.0.1', 'port': os.environ.get('MEMCACHED_PORT', '11211'), 'row_id': 'key'}, COLUMNS)
KEYS = [str(i) for i in range(1, 1001)]


def statement(quals, expected):
    fdw.begin(0)
    fdw.get_rel_size(quals, {'key', 'value'})
    fdw.get_path_keys()
    rows = list(fdw.execute(quals, {'key', 'value'}))
    fdw.end_scan()
    fdw.pre_commit()
    fdw.commit()
    assert len(rows) == expected, len(rows)


def random_key():
    return str(random.randint(1, 10000))


def w1():
    statement([Qual('key', '=', random_key())], 1)


def w2():
    statement([Qual('key', ('=', True), KEYS)], 1000)


def w4_write():
    fdw.begin(0)
    fdw.insert({'key': random_key(), 'value': 'y' * 100})
    fdw.end_modify()
    fdw.pre_commit()
    fdw.commit()


def execute_only():
    assert len(list(fdw.execute([Qual('key', '=', random_key())], {'key', 'value'}))) == 1


def get_one():
    assert len(fdw._servers.stores[0].get_many([random_key()])) == 1


def get_many():
    assert len(fdw._servers.stores[0].get_many(KEYS)) == 1000


KINDS = {'w1': w1, 'w2': w2, 'w4w': w4_write, 'exec': execute_only, 'get1': get_one, 'get1000': get_many, 'rnd': random_key}

if __name__ == '__main__':
    kind, count = sys.argv[1], int(sys.argv[2])
    call = KINDS[kind]
    for _ in range(20):
        call()
    started = time.process_time()
    for _ in range(count):
        call()
    print(f'{kind}: {(time.process_time() - started) / count * 1e6:.1f} us CPU per call')
    if len(sys.argv) > 3:
        profile = cProfile.Profile()
        profile.enable()
        for _ in range(count):
            call()
        profile.disable()
        pstats.Stats(profile).sort_stats(sys.argv[3]).print_stats(30)
