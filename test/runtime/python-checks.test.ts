// The hand-written Python binding of the runtime port must compile and type-check (mypy --strict) under Debian's
// /usr/bin/python3, the interpreter PostgreSQL embeds.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { PYTHON, PYTHON_OUT, REPO_ROOT } from '../rig/differential';

const run = promisify(execFile);
const RUNTIME_PY = join(PYTHON_OUT, 'pymcache_fdw', '_runtime.py');
const scratch = mkdtempSync(join(tmpdir(), 'pymcache-runtime-checks-'));

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

async function python(args: string[]): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await run(PYTHON, args, {
      cwd: REPO_ROOT,
      env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' },
    });
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const failure = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failure.code ?? -1, output: `${failure.stdout ?? ''}${failure.stderr ?? ''}` };
  }
}

describe('_runtime.py', () => {
  it('compiles with py_compile', async () => {
    const result = await python([
      '-c',
      'import py_compile, sys; py_compile.compile(sys.argv[1], cfile=sys.argv[2], doraise=True)',
      RUNTIME_PY,
      join(scratch, 'runtime.pyc'),
    ]);
    expect(result.output).toBe('');
    expect(result.code).toBe(0);
  });

  it('passes mypy --strict', async () => {
    // --follow-imports=silent: judge _runtime.py alone; the emitted modules the package __init__ pulls in are checked
    // with the rest of python-out elsewhere.
    const result = await python([
      '-m',
      'mypy',
      '--strict',
      '--follow-imports=silent',
      '--cache-dir',
      join(scratch, 'mypy-cache'),
      RUNTIME_PY,
    ]);
    expect(result.output.trim()).toBe('Success: no issues found in 1 source file');
    expect(result.code).toBe(0);
  });
});
