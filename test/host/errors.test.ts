// Contract: log_to_postgres levels, ERROR with hint/detail (stack unwound), uncaught Python exceptions,
// FATAL for CRITICAL, and 10,000 errors in one session without a crash or a leak.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openHostDatabase, openSession, sqlError, type HostSession } from './helpers';

let session: HostSession;

beforeAll(async () => {
  session = await openHostDatabase('host_errors');
  await session.client.query(`CREATE SERVER fail FOREIGN DATA WRAPPER multicorn OPTIONS (wrapper 'host_contract.Failing')`);
  await session.client.query(`CREATE SERVER probe FOREIGN DATA WRAPPER multicorn OPTIONS (wrapper 'host_contract.Probe')`);
  for (const mode of ['raise', 'error', 'critical', 'levels', 'init', 'rel_size_list']) {
    await session.client.query(`CREATE FOREIGN TABLE fail_${mode} (a int) SERVER fail OPTIONS (mode '${mode}')`);
  }
  await session.client.query('CREATE FOREIGN TABLE memory (python_objects bigint, rss_kb bigint) SERVER probe');
});
afterAll(async () => {
  await session.close();
});

describe('log_to_postgres', () => {
  it('sends DEBUG (hidden by default), INFO as NOTICE with hint and detail, WARNING, and str() of non-strings', async () => {
    session.takeNotices();
    const result = await session.client.query('SELECT a FROM fail_levels');
    expect(result.rows).toEqual([{ a: 1 }]);
    expect(session.takeNotices()).toEqual([
      { severity: 'NOTICE', message: 'at info', hint: 'info hint', detail: 'info detail', code: '00000' },
      { severity: 'WARNING', message: 'at warning', hint: undefined, detail: undefined, code: '01000' },
      { severity: 'NOTICE', message: '42', hint: undefined, detail: undefined, code: '00000' },
    ]);
    await session.client.query('SET client_min_messages = debug1');
    try {
      await session.client.query('SELECT a FROM fail_levels');
      expect(session.takeNotices().filter((n) => n.severity === 'DEBUG').map((n) => n.message)).toContain('at debug');
    } finally {
      await session.client.query('RESET client_min_messages');
    }
  });

  it('at ERROR raises in Python (finally blocks run) and becomes an ERROR with its message, hint and detail, SQLSTATE XX000', async () => {
    session.takeNotices();
    const error = await sqlError(session.client.query('SELECT * FROM fail_error'));
    expect(error).toEqual({
      message: 'memcached refused the key', code: 'XX000', hint: 'Keys are at most 250 bytes.', detail: 'key: kkkkkkkkkk',
      severity: 'ERROR',
    });
    expect(session.takeNotices().map((n) => [n.severity, n.message])).toEqual([['WARNING', 'cleanup ran']]);
  });

  it('at CRITICAL ends the session with FATAL', async () => {
    const doomed = await openSession(session.connection);
    const error = await sqlError(doomed.client.query('SELECT * FROM fail_critical'));
    expect(error).toMatchObject({ message: 'the cache is gone', severity: 'FATAL', code: 'XX000' });
    await doomed.close();
    expect((await session.client.query('SELECT 1 AS alive')).rows).toEqual([{ alive: 1 }]);
  });
});

describe('uncaught Python exceptions', () => {
  it('become "Error in python: <type>" with the message as detail, SQLSTATE XX000', async () => {
    expect(await sqlError(session.client.query('SELECT * FROM fail_raise'))).toEqual({
      message: 'Error in python: ValueError', detail: 'key too long: 251 bytes', code: 'XX000', hint: undefined, severity: 'ERROR',
    });
  });

  it('in __init__ too, and the next query tries again', async () => {
    for (let attempt = 0; attempt < 2; attempt++) {
      expect(await sqlError(session.client.query('SELECT * FROM fail_init'))).toMatchObject({
        message: 'Error in python: RuntimeError', detail: 'cannot start: missing server address',
      });
    }
  });

  it('a get_rel_size that does not return a 2-tuple is an ERROR', async () => {
    expect((await sqlError(session.client.query('SELECT * FROM fail_rel_size_list'))).message)
      .toBe('The get_rel_size python method should return a tuple of length 2');
  });
});

describe('10,000 errors in one session', () => {
  it('leave the backend alive and leak nothing measurable', { timeout: 300_000 }, async () => {
    const client = session.client;
    const pid = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]?.pid;
    const measure = async (): Promise<{ objects: number; rss: number; contexts: number }> => {
      const python = (await client.query<{ python_objects: string; rss_kb: string }>('SELECT * FROM memory')).rows[0];
      const contexts = (await client.query<{ total: string }>(
        'SELECT sum(total_bytes)::bigint AS total FROM pg_backend_memory_contexts')).rows[0];
      return { objects: Number(python?.python_objects), rss: Number(python?.rss_kb), contexts: Number(contexts?.total) };
    };
    const failMany = async (count: number): Promise<void> => {
      for (let i = 0; i < count; i++) {
        const statement = i % 2 === 0 ? 'SELECT * FROM fail_raise' : 'SELECT * FROM fail_error';
        await client.query(statement).then(
          () => { throw new Error(`${statement} succeeded`); },
          (error: { code?: string }) => { if (error.code !== 'XX000') throw error; },
        );
      }
    };
    await failMany(1_000); // warm-up: caches, interned strings, allocator high-water marks
    const before = await measure();
    await failMany(10_000);
    const after = await measure();
    expect((await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]?.pid).toBe(pid);
    // A leak of one object or one small allocation per error would show as >= 10,000 objects / ~1 MB.
    expect(after.objects - before.objects).toBeLessThan(200);
    expect(after.contexts - before.contexts).toBeLessThan(256 * 1024);
    expect(after.rss - before.rss).toBeLessThan(2048);
  });
});
