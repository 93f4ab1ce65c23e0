-- pymcache_fdw: the memcache_* functions (pgmemcache's API) and the seed article's session rules, runnable after
-- sql/install.sql and sql/example.sql, against the memcached of the table pymcache_test:
--   psql -d yourdb -f sql/functions.sql
-- The functions work on the cache table named by pymcache_fdw.default_table (docs/functions.md). Re-runnable.

\echo '-- the functions use this cache table (ALTER DATABASE ... SET for every new session; SET for this one)'
SELECT format('ALTER DATABASE %I SET pymcache_fdw.default_table = %L', current_database(), 'public.pymcache_test') \gexec
SET pymcache_fdw.default_table = 'public.pymcache_test';
-- The extension's schema after public, so that memcache_set and memcache_get are found unqualified (as in the article).
SELECT format('ALTER DATABASE %I SET search_path = "$user", public, pymcache_fdw', current_database()) \gexec
SET search_path = "$user", public, pymcache_fdw;

\echo '-- A Simple Test'
SELECT memcache_set('foo', 'bar');
SELECT memcache_get('foo');

\echo '-- Database Session Handler: the article''s table and rules, verbatim'
DROP TABLE IF EXISTS sessions;
create table sessions (
	session_id char(32) not null,
	data bytea not null default ''
);
create rule session_insert_rule as on insert to sessions
	do also select memcache_set(NEW.session_id::text, NEW.data);
create rule session_update_rule as on update to sessions
	do also select memcache_set(NEW.session_id::text, NEW.data);
insert into sessions values ('5cc27b0285c9d2e6dc4125456d308548', 'This would be the session data');
select memcache_get('5cc27b0285c9d2e6dc4125456d308548');
update sessions set data = 'This is the new data' where session_id = '5cc27b0285c9d2e6dc4125456d308548';
select memcache_get('5cc27b0285c9d2e6dc4125456d308548');

\echo '-- now transactional: a rolled-back session never reaches memcached'
BEGIN;
insert into sessions values ('0badc0ffee0badc0ffee0badc0ffee00', 'draft');
select memcache_get('0badc0ffee0badc0ffee0badc0ffee00');   -- the transaction sees its own write
ROLLBACK;
select memcache_get('0badc0ffee0badc0ffee0badc0ffee00');   -- NULL: nothing was sent

\echo '-- counters apply at once, like nextval()'
SELECT memcache_set('hits', '0');
SELECT memcache_incr('hits'), memcache_incr('hits', 10), memcache_decr('hits');

\echo '-- a cache kept in step by a trigger'
DROP TABLE IF EXISTS products;
CREATE TABLE products (id int PRIMARY KEY, name text);
CREATE TRIGGER products_cache AFTER INSERT OR UPDATE OR DELETE ON products
    FOR EACH ROW EXECUTE FUNCTION memcache_write_through('id', 'name', '1 hour');
INSERT INTO products VALUES (1, 'tea'), (2, 'coffee');
SELECT * FROM memcache_get_multi(ARRAY['1', '2', '3']);
