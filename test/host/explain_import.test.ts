// Contract: explain() lines in EXPLAIN, and IMPORT FOREIGN SCHEMA through import_schema().
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { events, explainLines, openHostDatabase, type HostSession } from './helpers';

let session: HostSession;

beforeAll(async () => {
  session = await openHostDatabase('host_explain_import');
  await session.client.query(`CREATE SERVER rec FOREIGN DATA WRAPPER multicorn
    OPTIONS (wrapper 'host_contract.Recorder', host 'cache-1')`);
  await session.client.query(`CREATE USER MAPPING FOR CURRENT_USER SERVER rec OPTIONS (user_secret 's3')`);
  await session.client.query(`CREATE FOREIGN TABLE shown (k text, n int) SERVER rec`);
});
afterAll(async () => {
  await session.close();
});

describe('EXPLAIN', () => {
  it('shows each line explain() returns as "Multicorn: ...", with the quals and verbose flag it was given', async () => {
    expect(await explainLines(session.client, `SELECT * FROM shown WHERE k = 'x'`)).toEqual([
      'Foreign Scan on shown',
      "  Filter: (k = 'x'::text)",
      "  Multicorn: quals: ['k = x']",
      '  Multicorn: verbose: False',
    ]);
    const verbose = await explainLines(session.client, 'SELECT * FROM shown', 'COSTS OFF, VERBOSE');
    expect(verbose).toContain('  Multicorn: verbose: True');
  });

  it('does not call execute()', async () => {
    session.takeNotices();
    await explainLines(session.client, 'SELECT * FROM shown');
    expect(events(session.takeJournal(), 'execute')).toEqual([]);
  });
});

describe('IMPORT FOREIGN SCHEMA', () => {
  it('calls import_schema(schema, server+mapping options, options, restriction type, restricts) and creates the tables', async () => {
    await session.client.query('CREATE SCHEMA imported');
    session.takeNotices();
    await session.client.query(`IMPORT FOREIGN SCHEMA remote_space LIMIT TO (alpha, gamma) FROM SERVER rec INTO imported
      OPTIONS (flavour 'strict')`);
    const [call] = events(session.takeJournal(), 'import_schema');
    expect(call).toMatchObject({
      schema: 'remote_space',
      srv_options: { type: 'dict', items: { host: { type: 'str', repr: "'cache-1'" }, user_secret: { type: 'str', repr: "'s3'" } } },
      options: { type: 'dict', items: { flavour: { type: 'str', repr: "'strict'" } } },
      restriction_type: 'limit',
      restricts: { type: 'list', items: [{ type: 'str', repr: "'alpha'" }, { type: 'str', repr: "'gamma'" }] },
    });
    const tables = await session.client.query(`
      SELECT c.relname, ft.ftoptions,
             array_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod) || coalesce(' ' || array_to_string(a.attfdwoptions, ','), '') ORDER BY a.attnum) AS columns
        FROM pg_foreign_table ft JOIN pg_class c ON c.oid = ft.ftrelid JOIN pg_namespace n ON n.oid = c.relnamespace
        JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0
       WHERE n.nspname = 'imported' GROUP BY c.relname, ft.ftoptions ORDER BY c.relname`);
    expect(tables.rows).toEqual([
      { relname: 'alpha', ftoptions: ['origin=remote_space.alpha'], columns: ['key text role=key', 'size integer'] },
      { relname: 'gamma', ftoptions: ['origin=remote_space.gamma'], columns: ['key text role=key', 'size integer'] },
    ]);
  });

  it('passes EXCEPT as "except", and no restriction as None', async () => {
    await session.client.query('CREATE SCHEMA excepted');
    session.takeNotices();
    await session.client.query('IMPORT FOREIGN SCHEMA remote_space EXCEPT (beta) FROM SERVER rec INTO excepted');
    expect(events(session.takeJournal(), 'import_schema')[0]).toMatchObject({ restriction_type: 'except' });
    await session.client.query('CREATE SCHEMA everything');
    await session.client.query('IMPORT FOREIGN SCHEMA remote_space FROM SERVER rec INTO everything');
    expect(events(session.takeJournal(), 'import_schema')[0]).toMatchObject({
      restriction_type: null, restricts: { type: 'list', items: [] },
    });
    const count = await session.client.query(`SELECT count(*)::int AS n FROM pg_foreign_table ft JOIN pg_class c ON c.oid = ft.ftrelid
      JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'everything'`);
    expect(count.rows).toEqual([{ n: 3 }]);
  });
});
