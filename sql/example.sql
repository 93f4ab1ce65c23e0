-- pymcache_fdw: the examples of the original README, runnable as they are after sql/install.sql, against a
-- memcached on localhost:11211:
--   psql -d yourdb -f sql/example.sql
-- Tables are dropped and created again, so the script can be run repeatedly.

\echo '-- foreign table to operate cache items'
DROP FOREIGN TABLE IF EXISTS pymcache_test;
CREATE FOREIGN TABLE pymcache_test (
    key TEXT,
    value TEXT,
    expire TEXT -- optional
) SERVER pymcache_fdw OPTIONS (
    host 'localhost',
    port '11211',
    row_id 'key',
    expire '60' -- optional, default is 0 - never expire
);

\echo '-- foreign tables to show general-purpose statistics and the current memcached settings'
DROP FOREIGN TABLE IF EXISTS pymcache_stat_test;
CREATE FOREIGN TABLE pymcache_stat_test (
    stat_name TEXT,
    stat_value TEXT
) SERVER pymcache_fdw_stat;

DROP FOREIGN TABLE IF EXISTS pymcache_stat_settings_test;
CREATE FOREIGN TABLE pymcache_stat_settings_test (
    stat_name TEXT,
    stat_value TEXT
) SERVER pymcache_fdw_stat OPTIONS (
    stats_cmd 'settings'
);

\echo '-- set cache item'
insert into pymcache_test(key, value)
   values('meaning_of_life', '42');

\echo '-- set cache item, that will expire after 10 seconds'
insert into pymcache_test(key, value, expire)
   values('born_to_die', 'Lana Del Rey', 10);

\echo '-- update cache item with key born_to_die'
update pymcache_test
   set value = 'Grand Funk Railroad', expire = 300
   where key = 'born_to_die';

\echo '-- get cache items with set of keys in "where" clause'
select key, value
   from pymcache_test
   where key in ('meaning_of_life', 'k1');

\echo '-- delete cache item with key meaning_of_life'
delete from pymcache_test
   where key = 'meaning_of_life';

\echo '-- show general-purpose statistics related to connections'
select stat_name, stat_value
   from pymcache_stat_test
   where stat_name ~* 'connection';

\echo '-- show "enabled" memcache settings'
select stat_name, stat_value
   from pymcache_stat_settings_test
   where stat_name ~* 'enabled';
