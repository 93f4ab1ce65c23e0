// The extension's versioned scripts: pymcache_fdw 1.0 updated with ALTER EXTENSION ... UPDATE (pymcache_fdw--1.0--1.1.sql)
// has exactly the objects, definitions and event trigger of a fresh 1.1 (pymcache_fdw--1.1.sql, the default version).
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { connect, createScratchDatabase, installedMulticorn, type PostgresConnection } from '../rig/postgres';
import { openSession, type HostSession } from '../host/helpers';

const UPDATED = 'functions_versions_updated';
const FRESH = 'functions_versions_fresh';

let updated: HostSession;
let fresh: HostSession;
let connection: PostgresConnection;

/** Every member of the extension with its definition (functions: pg_get_functiondef; the event trigger: its event, tags and function). */
async function members(session: HostSession): Promise<string[]> {
  const result = await session.client.query<{ member: string }>(`
    SELECT pg_describe_object(d.classid, d.objid, d.objsubid) || coalesce(E'\n' ||
             CASE d.classid
               WHEN 'pg_proc'::regclass THEN pg_get_functiondef(d.objid)
               WHEN 'pg_event_trigger'::regclass THEN
                 (SELECT format('%s %s %s %s', e.evtevent, e.evttags, e.evtfoid::regprocedure, e.evtenabled)
                  FROM pg_event_trigger e WHERE e.oid = d.objid)
             END, '') AS member
    FROM pg_depend d
    WHERE d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e'
      AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'pymcache_fdw')
    ORDER BY 1`);
  return result.rows.map((row) => row.member);
}

beforeAll(async () => {
  installedMulticorn();
  connection = await createScratchDatabase(inject('postgres'), UPDATED);
  await createScratchDatabase(inject('postgres'), FRESH);
  updated = await openSession(connection);
  fresh = await openSession({ ...connection, database: FRESH });
});

afterAll(async () => {
  await updated?.close();
  await fresh?.close();
  const admin = await connect({ ...connection, database: 'postgres' });
  try {
    for (const name of [UPDATED, FRESH]) await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  } finally {
    await admin.end();
  }
});

describe('pymcache_fdw 1.0 -> 1.1', () => {
  it('CREATE EXTENSION installs 1.1 by default, in schema pymcache_fdw', async () => {
    await fresh.client.query('CREATE EXTENSION pymcache_fdw CASCADE');
    const result = await fresh.client.query(
      "SELECT extversion, extnamespace::regnamespace::text AS schema FROM pg_extension WHERE extname = 'pymcache_fdw'",
    );
    expect(result.rows).toEqual([{ extversion: '1.1', schema: 'pymcache_fdw' }]);
  });

  it('VERSION 1.0 has no functions; ALTER EXTENSION UPDATE gives the same objects as a fresh 1.1', async () => {
    await updated.client.query("CREATE EXTENSION pymcache_fdw VERSION '1.0' CASCADE");
    const before = await members(updated);
    expect(before.filter((member) => member.startsWith('function pymcache_fdw.memcache_'))).toEqual([]);
    await updated.client.query('ALTER EXTENSION pymcache_fdw UPDATE');
    const version = await updated.client.query("SELECT extversion FROM pg_extension WHERE extname = 'pymcache_fdw'");
    expect(version.rows).toEqual([{ extversion: '1.1' }]);
    const after = await members(updated);
    const expected = await members(fresh);
    expect(after).toEqual(expected);
    const schemaAcl = "SELECT nspacl::text AS acl FROM pg_namespace WHERE nspname = 'pymcache_fdw'";
    expect((await updated.client.query(schemaAcl)).rows).toEqual((await fresh.client.query(schemaAcl)).rows);
    expect((await fresh.client.query(schemaAcl)).rows).toEqual([{ acl: '{postgres=UC/postgres,=U/postgres}' }]);
    // 1.1 adds 49 functions to 1.0's objects: pgmemcache's 30 signatures, 14 variants taking a bytea value, memcache_touch
    // (2), memcache_get_bytea, and the two trigger functions.
    expect(expected.filter((member) => member.startsWith('function pymcache_fdw.memcache_')).length).toBe(49);
    expect(expected.length - before.length).toBe(49);
  });
});
