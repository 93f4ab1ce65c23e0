// Benchmark of the emitted reply reader (not a test): a get reply of 1,000 values of 100 bytes parsed by
// python-out's pymcache_fdw.memcache under /usr/bin/python3, in one buffer and in 64 KB chunks, with timeit medians
// and, when valgrind is installed, callgrind instruction counts (reproducible on a noisy machine). pymemcache's
// get_many and a minimal hand-written loop read the same reply for comparison (bench/protocol_parse.py).
//   npx tsx bench/protocol-parse.ts
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HOST_PYTHON, PYTHON, PYTHON_OUT, REPO_ROOT } from '../test/rig/differential';

const SCRIPT = join(REPO_ROOT, 'bench', 'protocol_parse.py');
const env = { ...process.env, PYTHONPATH: [PYTHON_OUT, HOST_PYTHON].join(':'), PYTHONDONTWRITEBYTECODE: '1' };

type Timings = { reply_bytes: number; chunks: number; ms: Record<string, number> };

function timeitMedians(): Timings {
  return JSON.parse(execFileSync(PYTHON, [SCRIPT, 'timeit'], { env, encoding: 'utf8' })) as Timings;
}

/** Instructions of `runs` parses (plus the start-up every run shares), counted by callgrind. */
function instructions(parseCase: string, runs: number, dir: string): number {
  const out = join(dir, `callgrind-${runs}.out`);
  execFileSync(
    'valgrind',
    ['--tool=callgrind', `--callgrind-out-file=${out}`, PYTHON, SCRIPT, 'repeat', String(runs), parseCase],
    { env, stdio: 'ignore' },
  );
  const summary = /^summary:\s+(\d+)/m.exec(readFileSync(out, 'utf8'));
  if (summary === null) throw new Error(`no summary line in ${out}`);
  return Number(summary[1]);
}

const timings = timeitMedians();
console.log(
  `get reply of 1,000 values x 100 bytes (${timings.reply_bytes} bytes; ${timings.chunks} chunks of 64 KB), ${PYTHON}`,
);
console.log('timeit median per reply:');
for (const [name, ms] of Object.entries(timings.ms)) console.log(`  ${name.padEnd(34)} ${ms.toFixed(3)} ms`);

const valgrind = ['/usr/bin/valgrind', '/usr/local/bin/valgrind'].some((path) => existsSync(path));
if (!valgrind) {
  console.log('callgrind: valgrind not installed, skipped');
} else {
  const dir = mkdtempSync(join(tmpdir(), 'protocol-bench-'));
  try {
    console.log('callgrind instructions per reply ((Ir(60 parses) - Ir(10 parses)) / 50):');
    for (const parseCase of ['one buffer', '64 KB chunks', 'hand-written floor']) {
      const perReply = (instructions(parseCase, 60, dir) - instructions(parseCase, 10, dir)) / 50;
      console.log(
        `  ${parseCase.padEnd(34)} ${Math.round(perReply).toLocaleString('en-US')} (${Math.round(perReply / 1000).toLocaleString('en-US')} per value)`,
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
