// The emitted package on every Python multicorn2 supports (3.9 to 3.13, what python-out/pyproject.toml's
// requires-python claims): under each interpreter present on this machine, every module compiles, the whole package
// imports with nothing but the host's pure-Python multicorn on the path (no pymemcache, no site-packages: the package
// must not need them), and the runtime port and a few emitted modules compute what Node computes on shared vectors.
// The whole differential suite runs under each of these interpreters too (scripts/test.sh, PYMCACHE_DIFF_PYTHON).
// An interpreter that is absent is skipped with a note in the test name and on stderr: CI machines may lack some.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import {
  HOST_PYTHON,
  PYTHON_OUT,
  encodeArgument,
  float,
  pythonModuleFor,
  runInNode,
  runInPython,
  snakeCase,
  type Outcome,
} from '../rig/differential';
import { SEED, anyString, interestingInteger, sample, u32Value, wellFormedString } from './vectors';

const run = promisify(execFile);
const VERSIONS = ['3.9', '3.10', '3.11', '3.12', '3.13'];
const PACKAGE = join(PYTHON_OUT, 'pymcache_fdw');
const scratch = mkdtempSync(join(tmpdir(), 'pymcache-versions-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** The interpreter of a minor version: pyenv's (highest patch release) first, then the system's. */
function interpreter(minor: string): string | null {
  const roots = [process.env.PYENV_ROOT, join(homedir(), '.pyenv'), '/root/.pyenv'].filter(
    (r): r is string => r !== undefined,
  );
  for (const root of roots) {
    const versions = join(root, 'versions');
    if (!existsSync(versions)) continue;
    const matching = readdirSync(versions)
      .filter((v) => new RegExp(`^${minor.replace('.', '\\.')}\\.\\d+$`).test(v))
      .sort((a, b) => Number(b.split('.')[2]) - Number(a.split('.')[2]));
    for (const version of matching) {
      const candidate = join(versions, version, 'bin', `python${minor}`);
      if (existsSync(candidate)) return candidate;
    }
  }
  for (const dir of ['/usr/bin', '/usr/local/bin']) {
    const candidate = join(dir, `python${minor}`);
    if (existsSync(candidate)) return candidate;
  }
  return null;
}

function environment(): NodeJS.ProcessEnv {
  return {
    ...process.env,
    PYTHONPATH: [PYTHON_OUT, HOST_PYTHON].join(':'),
    PYTHONDONTWRITEBYTECODE: '1',
    PYTHONIOENCODING: 'utf-8',
    PYTHONNOUSERSITE: '1',
  };
}

function modules(): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.isDirectory() && entry.name !== '__pycache__') walk(join(dir, entry.name));
      else if (entry.name.endsWith('.py')) out.push(join(dir, entry.name));
    }
  };
  walk(PACKAGE);
  return out.sort();
}

/** The module name of a package file: pymcache_fdw/distribution/__init__.py -> pymcache_fdw.distribution. */
function moduleName(file: string): string {
  return relative(PYTHON_OUT, file)
    .replace(/\.py$/, '')
    .replace(/\/__init__$/, '')
    .split('/')
    .join('.');
}

/** Shared vectors: the runtime port and a few emitted modules, on hand-picked and random arguments. */
function cases(): Array<{ ts: string; fn: string; vectors: unknown[][]; floats?: boolean; messages?: false }> {
  const bytes = (...values: number[]): Uint8Array => new Uint8Array(values);
  const runtime = 'src/ports/runtime.ts';
  return [
    {
      ts: runtime,
      fn: 'utf8Encode',
      vectors: ['', 'é€😀', '\ud800', 'x\udfffy', ...sample(anyString(), 100)].map((s) => [s]),
    },
    {
      ts: runtime,
      fn: 'utf8Decode',
      vectors: [
        bytes(0x61, 0xc3, 0xa9),
        bytes(0xc0, 0x80),
        bytes(0xed, 0xa0, 0x80),
        bytes(0xf4, 0x90, 0x80, 0x80),
        bytes(0xe2, 0x82),
        ...sample(fc.uint8Array({ maxLength: 16 }), 100),
      ].map((b) => [b]),
    },
    { ts: runtime, fn: 'codePoints', vectors: ['', 'a😀b', '\ud83d', ...sample(anyString(), 50)].map((s) => [s]) },
    {
      ts: runtime,
      fn: 'parseDecimalInt',
      vectors: [
        '0',
        '-12',
        '+7',
        ' 1',
        '1e3',
        '٣',
        '9007199254740993',
        ...sample(fc.stringMatching(/^[-+]?[0-9 ._e]{0,12}$/), 100),
      ].map((s) => [s]),
    },
    {
      ts: runtime,
      fn: 'parseDecimalFloat',
      vectors: [
        '1.5',
        '.5',
        '1e400',
        'nan',
        'inf',
        '-0',
        '0x10',
        ...sample(fc.stringMatching(/^[-+]?[0-9.e]{0,10}$/), 100),
      ].map((s) => [s]),
      floats: true,
    },
    { ts: runtime, fn: 'intToString', vectors: sample(interestingInteger, 100).map((n) => [n]) },
    {
      ts: runtime,
      fn: 'formatFloat',
      vectors: [
        0,
        -0,
        1e16,
        1e21,
        5e-324,
        0.1,
        123.456,
        ...sample(fc.double({ noNaN: true, noDefaultInfinity: true }), 100),
      ].map((f) => [float(f)]),
    },
    { ts: runtime, fn: 'u32Rotl', vectors: sample(fc.tuple(u32Value, fc.integer({ min: 0, max: 31 })), 100) },
    {
      ts: runtime,
      fn: 'intDiv',
      vectors: [
        [7, 2],
        [-7, 2],
        [7, -2],
        [1, 0],
        [2 ** 53 - 1, 2],
        ...sample(fc.tuple(fc.oneof(fc.integer(), fc.maxSafeInteger()), fc.integer({ min: -20, max: 20 })), 100),
      ],
    },
    {
      ts: runtime,
      fn: 'jsonStringify',
      vectors: [
        [{ a: [1, 'é', null, true] }],
        [['\u2028', '\ud800']],
        // eslint-disable-next-line no-loss-of-precision -- 2^53 + 1 is the vector: a number Node cannot hold exactly
        [9007199254740993],
        ...sample(fc.jsonValue({ maxDepth: 2 }), 50).map((v) => [v]),
      ],
    },
    {
      ts: runtime,
      fn: 'jsonParse',
      vectors: ['{"a": [1, 2.5, "x"]}', '[1,]', '"\\ud800"', '1e400', '', ...sample(fc.json({ maxDepth: 2 }), 50)].map(
        (s) => [s],
      ),
      messages: false,
    },
    {
      ts: runtime,
      fn: 'md5',
      vectors: [bytes(), bytes(0x61), ...sample(fc.uint8Array({ maxLength: 64 }), 20)].map((b) => [b]),
    },
    {
      ts: 'src/keys.ts',
      fn: 'validateKey',
      vectors: [
        'k',
        '',
        'a b',
        'x'.repeat(250),
        'x'.repeat(251),
        'é',
        '\u0000',
        ...sample(wellFormedString(), 100),
      ].map((s) => [s]),
    },
    {
      ts: 'src/json-syntax.ts',
      fn: 'isJsonText',
      vectors: ['{}', '[1, 2', '"\\u0000"', '1.', '-0', 'tru', ...sample(fc.json({ maxDepth: 2 }), 50)].map((s) => [
        s,
        false,
      ]),
    },
    {
      ts: 'src/options.ts',
      fn: 'parseServerList',
      vectors: ['a:1', 'a:1,b:2:3', '[::1]:11211', 'a', 'a:99999', 'a:1,,b:2', ''].map((raw) => ['servers', raw]),
    },
  ];
}

const present = VERSIONS.map((minor) => ({ minor, python: interpreter(minor) }));
for (const { minor, python } of present) {
  if (python === null)
    process.stderr.write(`python-versions: Python ${minor} is not installed on this machine; its checks are skipped\n`);
}

describe('python-out/pymcache_fdw on every supported Python', () => {
  it('pyproject.toml claims exactly the versions checked here', async () => {
    const { readFile } = await import('node:fs/promises');
    const text = await readFile(join(PYTHON_OUT, 'pyproject.toml'), 'utf8');
    expect(text).toContain('requires-python = ">=3.9"');
    for (const minor of VERSIONS) expect(text).toContain(`"Programming Language :: Python :: ${minor}"`);
  });

  for (const { minor, python } of present) {
    if (python === null) {
      it.skip(`Python ${minor}: not installed on this machine (looked in ~/.pyenv/versions, /usr/bin, /usr/local/bin); skipped`, () =>
        undefined);
      continue;
    }
    describe(`Python ${minor} (${python})`, () => {
      it('compiles every module of the package', async () => {
        const files = modules();
        const script =
          'import py_compile, sys\nfor i, f in enumerate(sys.argv[2:]):\n    py_compile.compile(f, cfile=sys.argv[1] + "/" + str(i) + ".pyc", doraise=True)\nprint(len(sys.argv) - 2)';
        const out = join(scratch, `compiled-${minor}`);
        mkdirSync(out, { recursive: true });
        const { stdout } = await run(python, ['-W', 'error', '-c', script, out, ...files], { env: environment() });
        expect(stdout.trim()).toBe(String(files.length));
      });

      it('imports every module of the package with only multicorn (host/python) beside it, no site-packages', async () => {
        const names = modules().map(moduleName);
        const script =
          'import importlib, sys\nfor name in sys.argv[1:]:\n    importlib.import_module(name)\nprint(len(sys.argv) - 1)';
        const { stdout } = await run(python, ['-S', '-W', 'error::SyntaxWarning', '-c', script, ...names], {
          env: environment(),
        });
        expect(stdout.trim()).toBe(String(names.length));
      });

      it('computes what Node computes: runtime port, keys, json syntax, server lists', async () => {
        const mismatches: string[] = [];
        for (const c of cases()) {
          const node = await runInNode(c.ts, c.fn, c.vectors, c.floats ?? false);
          const module = pythonModuleFor(c.ts);
          const pythonOutcomes = await runInPython(module, snakeCase(c.fn), c.vectors, [], python);
          // jsonParse's messages are the platforms' own parser messages (documented as such): compared by class only.
          const comparable = (o: Outcome | undefined): string =>
            JSON.stringify(o !== undefined && 'error' in o && c.messages === false ? { error: o.error.class } : o);
          c.vectors.forEach((vector, i) => {
            if (comparable(node[i]) !== comparable(pythonOutcomes[i])) {
              mismatches.push(
                `${c.fn}(${JSON.stringify(vector.map(encodeArgument))}): node ${JSON.stringify(node[i])}, python ${JSON.stringify(pythonOutcomes[i])}`,
              );
            }
          });
        }
        expect(mismatches.slice(0, 5), `Python ${minor} and Node disagree (FC_SEED=${SEED})`).toEqual([]);
      });
    });
  }
});
