-- pymcache_fdw 1.1: what the Multicorn wrapper cannot enforce by itself (1.0), and the memcache_* functions and
-- cache triggers (1.1, the same objects as pymcache_fdw--1.0--1.1.sql adds; test/functions/versions.test.ts checks it).
--
-- Multicorn hands a wrapper one dict of options merged from the foreign table, its server and the current user's
-- user mapping (the user mapping winning), without saying where each came from. So the rule that a user mapping
-- carries credentials only (as postgres_fdw's does) is enforced here, when the options are written: otherwise a
-- user granted a cache table could widen it with their own user mapping (another prefix, host or port).
\echo Use "CREATE EXTENSION pymcache_fdw CASCADE" to load this file. \quit

-- Options a user mapping of a pymcache_fdw server may hold: who the user is to memcached, nothing about where.
CREATE FUNCTION @extschema@.credential_options() RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN ARRAY['username', 'password', 'tls_cert_file', 'tls_key_file'];

-- Credentials that may appear only in a user mapping (a server or table holding a password shows it to every user).
CREATE FUNCTION @extschema@.user_mapping_only_options() RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN ARRAY['username', 'password'];

-- Whether server `server_id` runs a pymcache_fdw wrapper (its `wrapper` option names a class of the package).
CREATE FUNCTION @extschema@.is_cache_server(server_id oid) RETURNS boolean
LANGUAGE sql STABLE
RETURN EXISTS (
  SELECT 1 FROM pg_catalog.pg_foreign_server s, pg_catalog.unnest(s.srvoptions) AS o(setting)
  WHERE s.oid = server_id AND o.setting LIKE 'wrapper=pymcache\_fdw.%'
);

-- The names of the options in a catalog options array (`name=value` entries).
CREATE FUNCTION @extschema@.option_names(options text[]) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN ARRAY(SELECT pg_catalog.split_part(o, '=', 1) FROM pg_catalog.unnest(options) AS o);

-- Raises when user mapping `mapping_id` of a cache server holds anything but credentials.
CREATE FUNCTION @extschema@.check_user_mapping(mapping_id oid) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $function$
DECLARE
  server_name name;
  server_id oid;
  option text;
  allowed text[] := @extschema@.credential_options();
BEGIN
  SELECT s.srvname, s.oid INTO server_name, server_id
  FROM pg_user_mapping um JOIN pg_foreign_server s ON s.oid = um.umserver WHERE um.oid = mapping_id;
  IF NOT FOUND OR NOT @extschema@.is_cache_server(server_id) THEN
    RETURN;
  END IF;
  FOREACH option IN ARRAY coalesce(@extschema@.option_names((SELECT umoptions FROM pg_user_mapping WHERE oid = mapping_id)), '{}')
  LOOP
    IF NOT option = ANY (allowed) THEN
      RAISE EXCEPTION 'option "%" cannot be set in a user mapping of server "%"', option, server_name
        USING ERRCODE = 'invalid_parameter_value',
              DETAIL = format('A user mapping of a pymcache_fdw server carries only credentials (%s).', array_to_string(allowed, ', ')),
              HINT = 'Options that decide what a user reaches (host, port, servers, prefix, distribution, ...) belong to the foreign table or the server, set by their owners.';
    END IF;
  END LOOP;
END
$function$;

-- Raises when `options` (of a server or a foreign table, `what`) hold a credential that belongs in a user mapping.
CREATE FUNCTION @extschema@.check_no_credentials(options text[], what text) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog AS $function$
DECLARE
  option text;
BEGIN
  FOREACH option IN ARRAY coalesce(@extschema@.option_names(options), '{}')
  LOOP
    IF option = ANY (@extschema@.user_mapping_only_options()) THEN
      RAISE EXCEPTION 'option "%" can only be set in a USER MAPPING, not on %', option, what
        USING ERRCODE = 'invalid_parameter_value',
              HINT = format('CREATE USER MAPPING FOR ... SERVER ... OPTIONS (%s ''...''): every user who can read the %s would see it.', option, split_part(what, ' ', 1));
    END IF;
  END LOOP;
END
$function$;

-- The event trigger: checks every server, foreign table and user mapping a DDL command created or changed.
CREATE FUNCTION @extschema@.check_option_placement() RETURNS event_trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $function$
DECLARE
  command record;
  server_record record;
  mapping_id oid;
BEGIN
  FOR command IN SELECT * FROM pg_event_trigger_ddl_commands() LOOP
    IF command.classid = 'pg_catalog.pg_user_mapping'::regclass THEN
      PERFORM @extschema@.check_user_mapping(command.objid);
    ELSIF command.classid = 'pg_catalog.pg_foreign_server'::regclass AND @extschema@.is_cache_server(command.objid) THEN
      SELECT srvname, srvoptions INTO server_record FROM pg_foreign_server WHERE oid = command.objid;
      PERFORM @extschema@.check_no_credentials(server_record.srvoptions, format('server "%s"', server_record.srvname));
      -- A server that becomes a cache server takes its existing user mappings along.
      FOR mapping_id IN SELECT oid FROM pg_user_mapping WHERE umserver = command.objid LOOP
        PERFORM @extschema@.check_user_mapping(mapping_id);
      END LOOP;
    ELSIF command.classid = 'pg_catalog.pg_class'::regclass THEN
      PERFORM @extschema@.check_no_credentials(ft.ftoptions, format('foreign table %s', command.object_identity))
      FROM pg_foreign_table ft
      WHERE ft.ftrelid = command.objid AND @extschema@.is_cache_server(ft.ftserver);
    END IF;
  END LOOP;
END
$function$;

CREATE EVENT TRIGGER pymcache_fdw_option_placement ON ddl_command_end
  WHEN TAG IN ('CREATE SERVER', 'ALTER SERVER', 'CREATE FOREIGN TABLE', 'ALTER FOREIGN TABLE', 'IMPORT FOREIGN SCHEMA',
               'CREATE USER MAPPING', 'ALTER USER MAPPING')
  EXECUTE FUNCTION @extschema@.check_option_placement();

-- User mappings made before the extension was installed are held to the same rule now.
DO $check_existing$
DECLARE
  mapping_id oid;
BEGIN
  FOR mapping_id IN SELECT oid FROM pg_catalog.pg_user_mapping LOOP
    PERFORM @extschema@.check_user_mapping(mapping_id);
  END LOOP;
END
$check_existing$;

-- pymcache_fdw 1.0 -> 1.1: the memcache_* functions (pgmemcache 2.3's names, arguments and results, plus
-- memcache_touch and memcache_get_bytea) and the cache triggers, on the cache table named by the setting
-- pymcache_fdw.default_table (docs/functions.md). Thin C functions of the extension's library that call the
-- wrapper's Python directly (no SQL per call); writes go through the table's write path (write_mode, savepoints,
-- read-your-writes). Not STRICT: a NULL key or value is an ERROR (memcached has no NULL), a NULL expiration the
-- table's expire option.

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
