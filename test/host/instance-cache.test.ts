// Contract: the per-table wrapper instance is rebuilt exactly when multicorn2 rebuilds it (merged options or columns
// changed), also when the change comes from another session or another user is current. The host looks at the
// catalogs again only after an invalidation (or a change of user), so these pin that no change goes unnoticed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { events, openHostDatabase, openSession, type HostSession, type JournalEntry } from './helpers';

let session: HostSession;
let other: HostSession;

beforeAll(async () => {
  session = await openHostDatabase('host_instance_cache');
  other = await openSession(session.connection);
  await session.client.query(`CREATE SERVER cached_srv FOREIGN DATA WRAPPER multicorn OPTIONS (wrapper 'host_contract.Recorder')`);
  await session.client.query(`CREATE USER MAPPING FOR CURRENT_USER SERVER cached_srv OPTIONS (who 'owner')`);
  await session.client.query('CREATE ROLE instance_cache_reader');
  await session.client.query(`CREATE USER MAPPING FOR instance_cache_reader SERVER cached_srv OPTIONS (who 'reader')`);
  await session.client.query(`CREATE FOREIGN TABLE cached (a int) SERVER cached_srv OPTIONS (tag 'cached')`);
  await session.client.query('GRANT SELECT ON cached TO instance_cache_reader');
});

afterAll(async () => {
  await other?.close();
  await session?.close();
});

/** The `init` entries journaled while `sql` ran in `on`. */
async function initsDuring(sql: string, on: HostSession = session): Promise<JournalEntry[]> {
  on.takeNotices();
  await on.client.query(sql);
  return events(on.takeJournal(), 'init');
}

/** The repr of option `name` in an init entry's options. */
function optionOf(entry: JournalEntry | undefined, name: string): unknown {
  const options = (entry as { options?: { items?: Record<string, { repr: string }> } } | undefined)?.options;
  return options?.items?.[name]?.repr;
}

describe('the instance cache', () => {
  it('keeps the instance across statements when nothing changed', async () => {
    await session.client.query('SELECT * FROM cached');
    for (let i = 0; i < 3; i++) expect(await initsDuring('SELECT * FROM cached')).toEqual([]);
  });

  it('sees table, server and user-mapping options changed by another session', async () => {
    await session.client.query('SELECT * FROM cached');
    await other.client.query(`ALTER FOREIGN TABLE cached OPTIONS (ADD extra 'from-other')`);
    const afterTable = await initsDuring('SELECT * FROM cached');
    expect(afterTable).toHaveLength(1);
    expect(optionOf(afterTable[0], 'extra')).toBe("'from-other'");
    await other.client.query(`ALTER SERVER cached_srv OPTIONS (ADD level 'server')`);
    const afterServer = await initsDuring('SELECT * FROM cached');
    expect(optionOf(afterServer[0], 'level')).toBe("'server'");
    await other.client.query(`ALTER USER MAPPING FOR CURRENT_USER SERVER cached_srv OPTIONS (SET who 'changed')`);
    const afterMapping = await initsDuring('SELECT * FROM cached');
    expect(optionOf(afterMapping[0], 'who')).toBe("'changed'");
    expect(await initsDuring('SELECT * FROM cached')).toEqual([]);
  });

  it('sees column options changed by another session', async () => {
    await session.client.query('SELECT * FROM cached');
    await other.client.query(`ALTER FOREIGN TABLE cached ALTER COLUMN a OPTIONS (ADD note 'n')`);
    const inits = await initsDuring('SELECT * FROM cached');
    expect(inits).toHaveLength(1);
    expect((inits[0] as { columns?: unknown[][] }).columns?.[0]?.[5]).toEqual({ note: 'n' });
  });

  it('uses the current user\'s mapping after SET ROLE, and the first user\'s again after RESET ROLE', async () => {
    await session.client.query('SELECT * FROM cached');
    await session.client.query('SET ROLE instance_cache_reader');
    try {
      const asReader = await initsDuring('SELECT * FROM cached');
      expect(asReader).toHaveLength(1);
      expect(optionOf(asReader[0], 'who')).toBe("'reader'");
    } finally {
      await session.client.query('RESET ROLE');
    }
    const backAsOwner = await initsDuring('SELECT * FROM cached');
    expect(backAsOwner).toHaveLength(1);
    expect(optionOf(backAsOwner[0], 'who')).toBe("'changed'");
  });
});
