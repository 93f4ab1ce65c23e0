-- pymcache_fdw: set up the two foreign servers in the current database (run once per database, as a superuser):
--   psql -d yourdb -f sql/install.sql
--
-- Needs, on the PostgreSQL server host:
--   * Multicorn: multicorn2 3.x, or this project's Multicorn-compatible host (host/, installed by scripts/install-host.sh);
--   * Python 3.9 or later as the Python that Multicorn embeds; nothing else from PyPI (the memcached client is ours);
--   * the pymcache_fdw package importable by that Python (pip install ./python-out, or PYTHONPATH in the
--     server's environment);
--   * the pymcache_fdw extension (make -C extension install; scripts/install-extension.sh does it): the memcache_*
--     functions of pgmemcache's API and the cache triggers (docs/functions.md; they need the setting
--     pymcache_fdw.default_table, see sql/functions.sql), its transaction guard refuses PREPARE TRANSACTION and
--     INSERT ... ON CONFLICT on cache tables, and its event trigger keeps user mappings to credentials
--     (docs/transactions.md, docs/usage.md). It lives in schema pymcache_fdw, so it can sit beside pgmemcache.
-- Safe to run again: existing objects are kept.

CREATE EXTENSION IF NOT EXISTS pymcache_fdw CASCADE;   -- requires (and installs) multicorn
ALTER EXTENSION pymcache_fdw UPDATE;                    -- a database that has 1.0 gets the functions (1.1)

-- Cache items: one foreign table per memcached server (and key prefix), see sql/example.sql and docs/usage.md.
CREATE SERVER IF NOT EXISTS pymcache_fdw
    FOREIGN DATA WRAPPER multicorn
    OPTIONS (
        wrapper 'pymcache_fdw.PymcacheFDW'
    );

-- Statistics: `stats`, `stats settings`, items, slabs, sizes, conns as (stat_name, stat_value) rows.
CREATE SERVER IF NOT EXISTS pymcache_fdw_stat
    FOREIGN DATA WRAPPER multicorn
    OPTIONS (
        wrapper 'pymcache_fdw.PymcacheFDWStats'
    );
