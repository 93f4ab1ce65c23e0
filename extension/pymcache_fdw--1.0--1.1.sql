-- pymcache_fdw 1.0 -> 1.1: the memcache_* functions (pgmemcache 2.3's names, arguments and results, plus
-- memcache_touch and memcache_get_bytea) and the cache triggers, on the cache table named by the setting
-- pymcache_fdw.default_table (docs/functions.md). Thin C functions of the extension's library that call the
-- wrapper's Python directly (no SQL per call); writes go through the table's write path (write_mode, savepoints,
-- read-your-writes). Not STRICT: a NULL key or value is an ERROR (memcached has no NULL), a NULL expiration the
-- table's expire option.
\echo Use "ALTER EXTENSION pymcache_fdw UPDATE TO '1.1'" to load this file. \quit

-- The functions are for every role with the privileges on the default table they need (SELECT to read, INSERT and
-- UPDATE to write, DELETE to delete): the schema is open to all, as pgmemcache's functions in public are.
GRANT USAGE ON SCHEMA @extschema@ TO PUBLIC;

-- Reads: memcache_get returns text (as pgmemcache), memcache_get_bytea the bytes as stored.

CREATE FUNCTION @extschema@.memcache_get(key text)
RETURNS text
AS 'MODULE_PATHNAME', 'pymcache_fdw_get'
LANGUAGE c VOLATILE PARALLEL UNSAFE;

CREATE FUNCTION @extschema@.memcache_get(key bytea)
RETURNS text
AS 'MODULE_PATHNAME', 'pymcache_fdw_get'
LANGUAGE c VOLATILE PARALLEL UNSAFE;

CREATE FUNCTION @extschema@.memcache_get_bytea(key text)
RETURNS bytea
AS 'MODULE_PATHNAME', 'pymcache_fdw_get_bytea'
LANGUAGE c VOLATILE PARALLEL UNSAFE;

CREATE FUNCTION @extschema@.memcache_get_multi(IN keys text[], OUT key text, OUT value text)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'pymcache_fdw_get_multi'
LANGUAGE c VOLATILE PARALLEL UNSAFE;

CREATE FUNCTION @extschema@.memcache_get_multi(IN keys bytea[], OUT key text, OUT value text)
RETURNS SETOF record
AS 'MODULE_PATHNAME', 'pymcache_fdw_get_multi'
LANGUAGE c VOLATILE PARALLEL UNSAFE;

-- Storage commands: true when stored (at COMMIT under write_mode commit); add, replace, append and prepend
-- return false when the key exists (add) or does not (the others), as the transaction sees it.

CREATE FUNCTION @extschema@.memcache_set(key text, val text, expire timestamptz)
RETURNS bool
AS 'MODULE_PATHNAME', 'pymcache_fdw_set'
LANGUAGE c VOLATILE PARALLEL UNSAFE;

CREATE FUNCTION @extschema@.memcache_set(key text, val text, expire interval)
RETURNS bool
AS 'MODULE_PATHNAME', 'pymcache_fdw_set'
LANGUAGE c VOLATILE PARALLEL UNSAFE;

CREATE FUNCTION @extschema@.memcache_set(key text, val text)
RETURNS bool
AS 'MODULE_PATHNAME', 'pymcache_fdw_set'
LANGUAGE c VOLATILE PARALLEL UNSAFE;

CREATE FUNCTION @extschema@.memcache_set(key bytea, val text)
RETURNS bool
AS 'MODULE_PATHNAME', 'pymcache_fdw_set'
LANGUAGE c VOLATILE PARALLEL UNSAFE;

CREATE FUNCTION @extschema@.memcache_set(key text, val bytea)
RETURNS bool
AS 'MODULE_PATHNAME', 'pymcache_fdw_set'
LANGUAGE c VOLATILE PARALLEL UNSAFE;

CREATE FUNCTION @extschema@.memcache_set(key text, val bytea, expire interval)
RETURNS bool
AS 'MODULE_PATHNAME', 'pymcache_fdw_set'
LANGUAGE c VOLATILE PARALLEL UNSAFE;

CREATE FUNCTION @extschema@.memcache_set(key text, val bytea, expire timestamptz)
RETURNS bool
AS 'MODULE_PATHNAME', 'pymcache_fdw_set'
LANGUAGE c VOLATILE PARALLEL UNSAFE;

CREATE FUNCTION @extschema@.memcache_add(key text, val text, expire timestamptz)
RETURNS bool
AS 'MODULE_PATHNAME', 'pymcache_fdw_add'
LANGUAGE c VOLATILE PARALLEL UNSAFE;

CREATE FUNCTION @extschema@.memcache_add(key text, val text, expire interval)
RETURNS bool
AS 'MODULE_PATHNAME', 'pymcache_fdw_add'
LANGUAGE c VOLATILE PARALLEL UNSAFE;

CREATE FUNCTION @extschema@.memcache_add(key text, val text)
RETURNS bool
AS 'MODULE_PATHNAME', 'pymcache_fdw_add'
LANGUAGE c VOLATILE PARALLEL UNSAFE;

CREATE FUNCTION @extschema@.memcache_add(key text, val bytea)
RETURNS bool
AS 'MODULE_PATHNAME', 'pymcache_fdw_add'
LANGUAGE c VOLATILE PARALLEL UNSAFE;

CREATE FUNCTION @extschema@.memcache_add(key text, val bytea, expire interval)
RETURNS bool
AS 'MODULE_PATHNAME', 'pymcache_fdw_add'
LANGUAGE c VOLATILE PARALLEL UNSAFE;

CREATE FUNCTION @extschema@.memcache_add(key text, val bytea, expire timestamptz)
RETURNS bool
AS 'MODULE_PATHNAME', 'pymcache_fdw_add'
LANGUAGE c VOLATILE PARALLEL UNSAFE;

CREATE FUNCTION @extschema@.memcache_replace(key text, val text, expire timestamptz)
RETURNS bool
AS 'MODULE_PATHNAME', 'pymcache_fdw_replace'
LANGUAGE c VOLATILE PARALLEL UNSAFE;

CREATE FUNCTION @extschema@.memcache_replace(key text, val text, expire interval)
RETURNS bool
AS 'MODULE_PATHNAME', 'pymcache_fdw_replace'
LANGUAGE c VOLATILE PARALLEL UNSAFE;

CREATE FUNCTION @extschema@.memcache_replace(key text, val text)
RETURNS bool
AS 'MODULE_PATHNAME', 'pymcache_fdw_replace'
LANGUAGE c VOLATILE PARALLEL UNSAFE;

CREATE FUNCTION @extschema@.memcache_replace(key text, val bytea)
RETURNS bool
AS 'MODULE_PATHNAME', 'pymcache_fdw_replace'
LANGUAGE c VOLATILE PARALLEL UNSAFE;

CREATE FUNCTION @extschema@.memcache_replace(key text, val bytea, expire interval)
RETURNS bool
AS 'MODULE_PATHNAME', 'pymcache_fdw_replace'
LANGUAGE c VOLATILE PARALLEL UNSAFE;

CREATE FUNCTION @extschema@.memcache_replace(key text, val bytea, expire timestamptz)
RETURNS bool
AS 'MODULE_PATHNAME', 'pymcache_fdw_replace'
LANGUAGE c VOLATILE PARALLEL UNSAFE;

CREATE FUNCTION @extschema@.memcache_append(key text, val text, expire timestamptz)
RETURNS bool
AS 'MODULE_PATHNAME', 'pymcache_fdw_append'
LANGUAGE c VOLATILE PARALLEL UNSAFE;

CREATE FUNCTION @extschema@.memcache_append(key text, val text, expire interval)
RETURNS bool
AS 'MODULE_PATHNAME', 'pymcache_fdw_append'
LANGUAGE c VOLATILE PARALLEL UNSAFE;

CREATE FUNCTION @extschema@.memcache_append(key text, val text)
RETURNS bool
AS 'MODULE_PATHNAME', 'pymcache_fdw_append'
LANGUAGE c VOLATILE PARALLEL UNSAFE;

CREATE FUNCTION @extschema@.memcache_append(key text, val bytea)
RETURNS bool
AS 'MODULE_PATHNAME', 'pymcache_fdw_append'
LANGUAGE c VOLATILE PARALLEL UNSAFE;

CREATE FUNCTION @extschema@.memcache_append(key text, val bytea, expire interval)
RETURNS bool
AS 'MODULE_PATHNAME', 'pymcache_fdw_append'
LANGUAGE c VOLATILE PARALLEL UNSAFE;

CREATE FUNCTION @extschema@.memcache_append(key text, val bytea, expire timestamptz)
RETURNS bool
AS 'MODULE_PATHNAME', 'pymcache_fdw_append'
LANGUAGE c VOLATILE PARALLEL UNSAFE;

CREATE FUNCTION @extschema@.memcache_prepend(key text, val text, expire timestamptz)
RETURNS bool
AS 'MODULE_PATHNAME', 'pymcache_fdw_prepend'
LANGUAGE c VOLATILE PARALLEL UNSAFE;

CREATE FUNCTION @extschema@.memcache_prepend(key text, val text, expire interval)
RETURNS bool
AS 'MODULE_PATHNAME', 'pymcache_fdw_prepend'
LANGUAGE c VOLATILE PARALLEL UNSAFE;

CREATE FUNCTION @extschema@.memcache_prepend(key text, val text)
RETURNS bool
AS 'MODULE_PATHNAME', 'pymcache_fdw_prepend'
LANGUAGE c VOLATILE PARALLEL UNSAFE;

CREATE FUNCTION @extschema@.memcache_prepend(key text, val bytea)
RETURNS bool
AS 'MODULE_PATHNAME', 'pymcache_fdw_prepend'
LANGUAGE c VOLATILE PARALLEL UNSAFE;

CREATE FUNCTION @extschema@.memcache_prepend(key text, val bytea, expire interval)
RETURNS bool
AS 'MODULE_PATHNAME', 'pymcache_fdw_prepend'
LANGUAGE c VOLATILE PARALLEL UNSAFE;

CREATE FUNCTION @extschema@.memcache_prepend(key text, val bytea, expire timestamptz)
RETURNS bool
AS 'MODULE_PATHNAME', 'pymcache_fdw_prepend'
LANGUAGE c VOLATILE PARALLEL UNSAFE;

-- Deletes and expirations.

CREATE FUNCTION @extschema@.memcache_delete(key text, hold interval)
RETURNS bool
AS 'MODULE_PATHNAME', 'pymcache_fdw_delete'
LANGUAGE c VOLATILE PARALLEL UNSAFE;

CREATE FUNCTION @extschema@.memcache_delete(key text)
RETURNS bool
AS 'MODULE_PATHNAME', 'pymcache_fdw_delete'
LANGUAGE c VOLATILE PARALLEL UNSAFE;

CREATE FUNCTION @extschema@.memcache_touch(key text, expire interval)
RETURNS bool
AS 'MODULE_PATHNAME', 'pymcache_fdw_touch'
LANGUAGE c VOLATILE PARALLEL UNSAFE;

CREATE FUNCTION @extschema@.memcache_touch(key text, expire timestamptz)
RETURNS bool
AS 'MODULE_PATHNAME', 'pymcache_fdw_touch'
LANGUAGE c VOLATILE PARALLEL UNSAFE;

-- memcached's atomic counters: applied at once (a ROLLBACK does not undo them, like nextval()); the new value,
-- NULL when the key does not exist.

CREATE FUNCTION @extschema@.memcache_incr(key text, increment bigint)
RETURNS bigint
AS 'MODULE_PATHNAME', 'pymcache_fdw_incr'
LANGUAGE c VOLATILE PARALLEL UNSAFE;

CREATE FUNCTION @extschema@.memcache_incr(key text)
RETURNS bigint
AS 'MODULE_PATHNAME', 'pymcache_fdw_incr'
LANGUAGE c VOLATILE PARALLEL UNSAFE;

CREATE FUNCTION @extschema@.memcache_decr(key text, decrement bigint)
RETURNS bigint
AS 'MODULE_PATHNAME', 'pymcache_fdw_decr'
LANGUAGE c VOLATILE PARALLEL UNSAFE;

CREATE FUNCTION @extschema@.memcache_decr(key text)
RETURNS bigint
AS 'MODULE_PATHNAME', 'pymcache_fdw_decr'
LANGUAGE c VOLATILE PARALLEL UNSAFE;

-- Servers.

CREATE FUNCTION @extschema@.memcache_flush_all()
RETURNS bool
AS 'MODULE_PATHNAME', 'pymcache_fdw_flush_all'
LANGUAGE c VOLATILE PARALLEL UNSAFE;

CREATE FUNCTION @extschema@.memcache_stats()
RETURNS text
AS 'MODULE_PATHNAME', 'pymcache_fdw_stats'
LANGUAGE c VOLATILE PARALLEL UNSAFE;

CREATE FUNCTION @extschema@.memcache_server_add(server_hostname text)
RETURNS bool
AS 'MODULE_PATHNAME', 'pymcache_fdw_server_add'
LANGUAGE c VOLATILE PARALLEL UNSAFE;

-- Cache triggers: FOR EACH ROW ... EXECUTE FUNCTION memcache_write_through('key_column', 'value_column'[,
-- 'expire interval']) or memcache_invalidate('key_column').

CREATE FUNCTION @extschema@.memcache_write_through()
RETURNS trigger
AS 'MODULE_PATHNAME', 'pymcache_fdw_write_through'
LANGUAGE c VOLATILE PARALLEL UNSAFE;

CREATE FUNCTION @extschema@.memcache_invalidate()
RETURNS trigger
AS 'MODULE_PATHNAME', 'pymcache_fdw_invalidate'
LANGUAGE c VOLATILE PARALLEL UNSAFE;
