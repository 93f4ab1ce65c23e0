// python-out is a pip-installable package: a wheel built from it (offline, with Debian's setuptools) holds the
// package and its hand-written ports, declares Python >= 3.9 and no dependency (the memcached client is the package's
// own), and imports once unpacked where pip would put it (next to a multicorn, here the host's Python package, since
// the package imports it as under PostgreSQL), the package itself included.
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { HOST_PYTHON, PYTHON, PYTHON_OUT } from '../rig/differential';

const run = promisify(execFile);
const scratch = mkdtempSync(join(tmpdir(), 'pymcache-package-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('python-out/pyproject.toml', () => {
  it('builds a wheel with the package, its metadata and no third-party requirement', async () => {
    // Build from a copy: setuptools writes build/ and *.egg-info next to pyproject.toml.
    const source = join(scratch, 'source');
    cpSync(PYTHON_OUT, source, { recursive: true, filter: (path) => !/(__pycache__|\.mypy_cache)/.test(path) });
    const wheels = join(scratch, 'wheels');
    await run(
      PYTHON,
      ['-m', 'pip', 'wheel', '--no-deps', '--no-build-isolation', '--no-index', '-q', '-w', wheels, source],
      { cwd: scratch },
    );
    const built = readdirSync(wheels);
    expect(built).toEqual(['pymcache_fdw-0.1.0-py3-none-any.whl']);

    const inspect = [
      'import sys, zipfile',
      'z = zipfile.ZipFile(sys.argv[1])',
      'names = z.namelist()',
      'print("ports:", all(f"pymcache_fdw/{name}.py" in names for name in ("_runtime", "_socket", "_backend")))',
      'print("client:", "pymcache_fdw/memcache/connection.py" in names)',
      'meta = z.read("pymcache_fdw-0.1.0.dist-info/METADATA").decode()',
      'print("\\n".join(line for line in meta.splitlines() if line.startswith(("Name:", "Requires-Dist:", "Requires-Python:"))))',
      'z.extractall(sys.argv[2])',
      'sys.path[0:0] = [sys.argv[2], sys.argv[3]]',
      'import pymcache_fdw._runtime as r',
      'import pymcache_fdw',
      'print("import:", r.format_float(1e16), pymcache_fdw.PymcacheFDW.__name__)',
    ].join('\n');
    const { stdout } = await run(
      PYTHON,
      ['-c', inspect, join(wheels, built[0]!), join(scratch, 'site-packages'), HOST_PYTHON],
      { env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' } },
    );
    expect(stdout.split('\n')).toEqual([
      'ports: True',
      'client: True',
      'Name: pymcache-fdw',
      'Requires-Python: >=3.9',
      'import: 1e+16 PymcacheFDW',
      '',
    ]);
  });
});
