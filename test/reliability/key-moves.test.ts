// An UPDATE that changes keys moves its rows all at once, as PostgreSQL updates a table's rows: swapping or shifting
// keys loses no item, a statement never reads its own writes, and two rows ending with one key are an ERROR that
// leaves memcached untouched. In both write modes, on real memcached, checked with an independent client.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { sqlError, type HostSession } from '../host/helpers';
import { rawSet, type MemcachedAddress } from '../rig/raw-memcached';
import { createCacheTable, held, openReliabilityDatabase } from './support';

const server: MemcachedAddress = inject('memcachedServers')[0]!;
let session: HostSession;

beforeAll(async () => {
  ({ session } = await openReliabilityDatabase('reliability_key_moves'));
});

afterAll(async () => {
  await session?.close();
});

async function sql(text: string): Promise<{ command: string; rowCount: number | null }> {
  const result = await session.client.query(text);
  return { command: result.command, rowCount: result.rowCount };
}

for (const mode of ['commit', 'immediate']) {
  describe(`write_mode ${mode}`, () => {
    it('swapping two keys with one UPDATE keeps both items, each under the other key', async () => {
      const cache = await createCacheTable(session, server, `write_mode '${mode}'`);
      await sql(`INSERT INTO ${cache.table} (key, value) VALUES ('sa', 'A'), ('sb', 'B')`);
      expect(
        await sql(
          `UPDATE ${cache.table} SET key = CASE key WHEN 'sa' THEN 'sb' ELSE 'sa' END WHERE key IN ('sa', 'sb')`,
        ),
      ).toEqual({ command: 'UPDATE', rowCount: 2 });
      expect(await held(cache, ['sa', 'sb'])).toEqual(['B', 'A']);
    });

    it('shifting keys along a chain (ca -> cb, cb -> cc) keeps both items at their new keys', async () => {
      const cache = await createCacheTable(session, server, `write_mode '${mode}'`);
      await sql(`INSERT INTO ${cache.table} (key, value) VALUES ('ca', 'A'), ('cb', 'B')`);
      await sql(`UPDATE ${cache.table} SET key = CASE key WHEN 'ca' THEN 'cb' ELSE 'cc' END WHERE key IN ('ca', 'cb')`);
      expect(await held(cache, ['ca', 'cb', 'cc'])).toEqual([null, 'A', 'B']);
    });

    it('a swap driven by a join looked up key by key (nested loop) reads every row as it was before the statement', async () => {
      const cache = await createCacheTable(session, server, `write_mode '${mode}'`);
      await sql(`INSERT INTO ${cache.table} (key, value) VALUES ('ja', 'A'), ('jb', 'B'), ('jc', 'C')`);
      await sql(`CREATE TEMP TABLE moves_${mode} (old_key text, new_key text)`);
      await sql(`INSERT INTO moves_${mode} VALUES ('ja', 'jb'), ('jb', 'jc'), ('jc', 'ja')`);
      await sql('SET enable_hashjoin = off');
      await sql('SET enable_mergejoin = off');
      try {
        const plan = await session.client.query(
          `EXPLAIN UPDATE ${cache.table} c SET key = m.new_key FROM moves_${mode} m WHERE c.key = m.old_key`,
        );
        expect(plan.rows.map((row: Record<string, string>) => row['QUERY PLAN']).join('\n')).toContain('Nested Loop');
        expect(
          await sql(`UPDATE ${cache.table} c SET key = m.new_key FROM moves_${mode} m WHERE c.key = m.old_key`),
        ).toEqual({ command: 'UPDATE', rowCount: 3 });
      } finally {
        await sql('RESET enable_hashjoin');
        await sql('RESET enable_mergejoin');
      }
      expect(await held(cache, ['ja', 'jb', 'jc'])).toEqual(['C', 'A', 'B']);
    });

    it('two rows moved onto one key are an ERROR naming it, and memcached keeps what it held', async () => {
      const cache = await createCacheTable(session, server, `write_mode '${mode}'`);
      await sql(`INSERT INTO ${cache.table} (key, value) VALUES ('ma', 'A'), ('mb', 'B')`);
      const error = await sqlError(
        session.client.query(`UPDATE ${cache.table} SET key = 'mc' WHERE key IN ('ma', 'mb')`),
      );
      expect([error.message, error.hint]).toEqual([
        'a statement cannot write key "mc" twice: memcached holds one item per key',
        'Give each row of the statement its own key (SELECT DISTINCT ON (key) ..., or one statement per row).',
      ]);
      expect(await held(cache, ['ma', 'mb', 'mc'])).toEqual(['A', 'B', null]);
    });

    it('one INSERT giving a key twice is the same ERROR, not a duplicate found in memcached', async () => {
      const cache = await createCacheTable(session, server, `write_mode '${mode}'`);
      const error = await sqlError(
        session.client.query(`INSERT INTO ${cache.table} (key, value) VALUES ('d', '1'), ('d', '2')`),
      );
      expect(error.message).toBe('a statement cannot write key "d" twice: memcached holds one item per key');
      expect(await held(cache, ['d'])).toEqual([null]);
    });

    it('a row moved onto a key another client holds overwrites it (insert_mode set), and the old key is gone', async () => {
      const cache = await createCacheTable(session, server, `write_mode '${mode}'`);
      await sql(`INSERT INTO ${cache.table} (key, value) VALUES ('from', 'mine')`);
      await rawSet(server, `${cache.prefix}to`, 'theirs');
      await sql(`UPDATE ${cache.table} SET key = 'to' WHERE key = 'from'`);
      expect(await held(cache, ['from', 'to'])).toEqual([null, 'mine']);
    });
  });
}

describe('statements inside one transaction', () => {
  it('a later statement reads what an earlier one wrote; the swap of two keys written in the transaction commits both', async () => {
    const cache = await createCacheTable(session, server);
    await sql('BEGIN');
    try {
      await sql(`INSERT INTO ${cache.table} (key, value) VALUES ('ta', 'A'), ('tb', 'B')`);
      await sql(`UPDATE ${cache.table} SET key = CASE key WHEN 'ta' THEN 'tb' ELSE 'ta' END WHERE key IN ('ta', 'tb')`);
      const seen = await session.client.query(
        `SELECT key, value FROM ${cache.table} WHERE key IN ('ta', 'tb') ORDER BY key`,
      );
      expect(seen.rows).toEqual([
        { key: 'ta', value: 'B' },
        { key: 'tb', value: 'A' },
      ]);
      expect(await held(cache, ['ta', 'tb'])).toEqual([null, null]);
      await sql('COMMIT');
    } catch (error) {
      await sql('ROLLBACK');
      throw error;
    }
    expect(await held(cache, ['ta', 'tb'])).toEqual(['B', 'A']);
  });
});
