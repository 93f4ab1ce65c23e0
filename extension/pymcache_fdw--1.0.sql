-- pymcache_fdw 1.0: what the Multicorn wrapper cannot enforce by itself.
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
