// The seven benchmark workloads: each pairs our foreign table ("pymcache") with the same work done by a contender,
// as pgbench scripts run with prepared statements, and (W1-W4) with the same statements on a table of an earlier
// pymcache_fdw ("previous", bench/run.ts BENCH_PREVIOUS). One source for the scripts, the report and the docs.

export type Contender = 'pymcache' | 'pgmemcache' | 'plperl' | 'previous';

/** What the ratio of a workload compares, and in which direction the target points. */
export type RatioKind = 'latency' | 'throughput';

export interface WorkloadScript {
  contender: Contender;
  /** pgbench script files as name -> text; a weight after '@' in the name is passed to pgbench as is. */
  files: Record<string, string>;
}

export interface Workload {
  id: string;
  title: string;
  clients: number;
  ratio: RatioKind;
  /** The contender the ratio and target are about (pgmemcache, or PL/Perl for W5). */
  baseline: Contender;
  /** Target for ours/pgmemcache: latency ratio at most this, or throughput ratio at least this. */
  target: number | null;
  scripts: WorkloadScript[];
}

/**
 * Keys '1'..'10000' hold 100-byte values before the workloads start. Keys are the bare pgbench variable so that the
 * qual is `key = $1` (Multicorn pushes down only column-op-Const/Param quals, not expressions such as 'k' || $1).
 */
export const KEY_COUNT = 10_000;
export const VALUE_BYTES = 100;
/** Size of the W2 multi-key read. */
export const MULTI_GET_SIZE = 1_000;
/** Rows written by one W3 statement. */
export const BULK_ROWS = 10_000;
/** Sessions one W7 statement updates (the article's rule fires once per row). */
export const SESSION_UPDATES = 1_000;

/** The foreign table of the earlier pymcache_fdw (same options as `cache`, its own server and wrapper package). */
export const PREVIOUS_TABLE = 'cache_previous';

const randomKey = `\\set k random(1, ${KEY_COUNT})\n`;

/** The same script on the earlier pymcache_fdw's table: every `cache` of ours replaced. */
function onPrevious(script: WorkloadScript): WorkloadScript {
  const files: Record<string, string> = {};
  for (const [name, text] of Object.entries(script.files))
    files[name] = text.replaceAll(' cache ', ` ${PREVIOUS_TABLE} `);
  return { contender: 'previous', files };
}

/** The workloads; with `previous`, W1-W4 also run our scripts on the earlier pymcache_fdw's table. */
export function workloads(previous: boolean): Workload[] {
  const all: Workload[] = [
    {
      id: 'W1',
      title: '1-key lookup',
      clients: 1,
      ratio: 'latency',
      baseline: 'pgmemcache',
      target: 1.3,
      scripts: [
        { contender: 'pymcache', files: { 'w1.sql': `${randomKey}SELECT value FROM cache WHERE key = :k::text;\n` } },
        { contender: 'pgmemcache', files: { 'w1.sql': `${randomKey}SELECT memcache_get(:k::text);\n` } },
      ],
    },
    {
      id: 'W2',
      title: `${MULTI_GET_SIZE}-key read`,
      clients: 1,
      ratio: 'latency',
      baseline: 'pgmemcache',
      target: 1.5,
      scripts: [
        {
          contender: 'pymcache',
          files: { 'w2.sql': 'SELECT count(value) FROM cache WHERE key = ANY(:keys::text[]);\n' },
        },
        {
          contender: 'pgmemcache',
          files: { 'w2.sql': 'SELECT count(value) FROM memcache_get_multi(:keys::text[]);\n' },
        },
      ],
    },
    {
      id: 'W3',
      title: `${BULK_ROWS}-row write`,
      clients: 1,
      ratio: 'latency',
      baseline: 'pgmemcache',
      target: 0.2,
      scripts: [
        {
          contender: 'pymcache',
          files: {
            'w3.sql': `INSERT INTO cache (key, value) SELECT 'w3:' || g, repeat('x', ${VALUE_BYTES}) FROM generate_series(1, ${BULK_ROWS}) g;\n`,
          },
        },
        {
          contender: 'pgmemcache',
          files: {
            'w3.sql': `SELECT count(memcache_set('w3:' || g, repeat('x', ${VALUE_BYTES}))) FROM generate_series(1, ${BULK_ROWS}) g;\n`,
          },
        },
      ],
    },
    {
      id: 'W4',
      title: '8 clients, 90% reads / 10% writes',
      clients: 8,
      ratio: 'throughput',
      baseline: 'pgmemcache',
      target: 0.8,
      scripts: [
        {
          contender: 'pymcache',
          files: {
            'w4-read.sql@9': `${randomKey}SELECT value FROM cache WHERE key = :k::text;\n`,
            'w4-write.sql@1': `${randomKey}INSERT INTO cache (key, value) VALUES (:k::text, repeat('y', ${VALUE_BYTES}));\n`,
          },
        },
        {
          contender: 'pgmemcache',
          files: {
            'w4-read.sql@9': `${randomKey}SELECT memcache_get(:k::text);\n`,
            'w4-write.sql@1': `${randomKey}SELECT memcache_set(:k::text, repeat('y', ${VALUE_BYTES}));\n`,
          },
        },
      ],
    },
    {
      id: 'W5',
      title: '1-key lookup, PL/Perl Cache::Memcached per call',
      clients: 1,
      ratio: 'latency',
      baseline: 'plperl',
      target: null,
      scripts: [
        { contender: 'pymcache', files: { 'w5.sql': `${randomKey}SELECT value FROM cache WHERE key = :k::text;\n` } },
        { contender: 'plperl', files: { 'w5.sql': `${randomKey}SELECT perl_memcache_get(:k::text);\n` } },
      ],
    },
    {
      // The extension's function against pgmemcache's, both installed in the same database (ours in schema
      // pymcache_fdw, pgmemcache in public), on the default table `cache`.
      id: 'W6',
      title: '1-key memcache_get(), ours vs pgmemcache',
      clients: 1,
      ratio: 'latency',
      baseline: 'pgmemcache',
      target: 1.3,
      scripts: [
        { contender: 'pymcache', files: { 'w6.sql': `${randomKey}SELECT pymcache_fdw.memcache_get(:k::text);\n` } },
        { contender: 'pgmemcache', files: { 'w6.sql': `${randomKey}SELECT public.memcache_get(:k::text);\n` } },
      ],
    },
    {
      // The seed article's session rule (DO ALSO SELECT memcache_set(NEW.session_id::text, NEW.data)) on an UPDATE of
      // 1,000 sessions, committed: ours through the extension, the original through its PL/Perl memcache_set.
      id: 'W7',
      title: `article's session rule, ${SESSION_UPDATES} session updates`,
      clients: 1,
      ratio: 'latency',
      baseline: 'plperl',
      target: null,
      scripts: [
        {
          contender: 'pymcache',
          files: { 'w7.sql': `UPDATE sessions_ours SET data = convert_to(:client_id || ' ' || random(), 'UTF8');\n` },
        },
        {
          contender: 'plperl',
          files: { 'w7.sql': `UPDATE sessions_perl SET data = convert_to(:client_id || ' ' || random(), 'UTF8');\n` },
        },
      ],
    },
  ];
  if (!previous) return all;
  return all.map((workload) => {
    const ours = workload.scripts.find((script) => script.contender === 'pymcache');
    // W5-W7 measure other surfaces (PL/Perl, the extension's functions) than the earlier version had.
    if (!['W1', 'W2', 'W3', 'W4'].includes(workload.id) || ours === undefined) return workload;
    return { ...workload, scripts: [...workload.scripts, onPrevious(ours)] };
  });
}
