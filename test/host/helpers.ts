// Shared by the Multicorn contract tests: a scratch database with the extension, notices collected per
// statement, the JOURNAL lines of test/host/wrappers/host_contract.py parsed, errors captured with their
// SQLSTATE, hint and detail.
import { inject } from 'vitest';
import type pg from 'pg';
import { connect, createScratchDatabase, installedMulticorn, type PostgresConnection } from '../rig/postgres';

export type Described = { type: string; repr?: string; items?: Described[] | Record<string, Described> };
export type JournalEntry = { event: string; tag?: string; [field: string]: unknown };
export type Notice = { severity: string; message: string; detail?: string; hint?: string; code?: string };

export type HostSession = {
  client: pg.Client;
  connection: PostgresConnection;
  /** Notices received since the last `takeNotices()`. */
  takeNotices(): Notice[];
  /** JOURNAL entries received since the last take (notices that are not journal lines are dropped). */
  takeJournal(): JournalEntry[];
  close(): Promise<void>;
};

export async function openSession(connection: PostgresConnection): Promise<HostSession> {
  const client = await connect(connection);
  let notices: Notice[] = [];
  client.on('notice', (notice) => {
    notices.push({
      severity: notice.severity ?? '', message: notice.message ?? '', detail: notice.detail, hint: notice.hint, code: notice.code,
    });
  });
  // A client error (e.g. FATAL from the server) must not crash the test process.
  client.on('error', () => undefined);
  const takeNotices = (): Notice[] => {
    const taken = notices;
    notices = [];
    return taken;
  };
  return {
    client,
    connection,
    takeNotices,
    takeJournal: () => takeNotices()
      .filter((notice) => notice.message.startsWith('JOURNAL '))
      .map((notice) => JSON.parse(notice.message.slice('JOURNAL '.length)) as JournalEntry),
    close: async () => {
      await client.end().catch(() => undefined);
    },
  };
}

/** A fresh database `name` with `CREATE EXTENSION multicorn`, and a session on it. */
export async function openHostDatabase(name: string): Promise<HostSession> {
  installedMulticorn(); // a clear message when none (or not the one PYMCACHE_MULTICORN asks for) is installed
  const connection = await createScratchDatabase(inject('postgres'), name);
  const session = await openSession(connection);
  await session.client.query('CREATE EXTENSION multicorn');
  return session;
}

export type SqlError = { message: string; code?: string; detail?: string; hint?: string; severity?: string };

/** The error `promise` rejects with; fails the test if it resolves. */
export async function sqlError(promise: Promise<unknown>): Promise<SqlError> {
  try {
    await promise;
  } catch (error) {
    const e = error as SqlError;
    return { message: e.message, code: e.code, detail: e.detail, hint: e.hint, severity: e.severity };
  }
  throw new Error('the statement succeeded, but an error was expected');
}

/** SQL literal for a string (single quotes doubled). */
export function literal(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

/** The events of a journal, with only the given fields. */
export function events(journal: JournalEntry[], ...names: string[]): JournalEntry[] {
  return journal.filter((entry) => names.length === 0 || names.includes(entry.event));
}

/** The EXPLAIN (COSTS OFF) lines of `sql`. */
export async function explainLines(client: pg.Client, sql: string, options = 'COSTS OFF'): Promise<string[]> {
  const result = await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN (${options}) ${sql}`);
  return result.rows.map((row) => row['QUERY PLAN']);
}
