// Golden fixtures: each test/codegen/fixtures/<name>.ts must emit exactly <name>.py. Set UPDATE_GOLDENS=1 to
// rewrite the .py files from the current emitter (then review the diff: the goldens are the specification).
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { LINE_WIDTH, lineWidth } from '../../codegen/printer';
import { emitFixture, FIXTURES, listFixtures, ROOT } from './helpers';

const update = process.env.UPDATE_GOLDENS === '1';

describe('golden fixtures: TypeScript in, exact Python out', () => {
  const names = listFixtures(FIXTURES);

  it('has fixtures to check', () => {
    expect(names.length).toBeGreaterThan(5);
  });

  for (const name of names) {
    it(`${name}.ts emits ${name}.py`, () => {
      const source = fs.readFileSync(path.join(FIXTURES, `${name}.ts`), 'utf8');
      const { output, diagnostics } = emitFixture(name, source);
      expect(diagnostics).toEqual([]);
      const goldenPath = path.join(FIXTURES, `${name}.py`);
      if (update) fs.writeFileSync(goldenPath, output);
      expect(output).toBe(fs.readFileSync(goldenPath, 'utf8'));
      expect(output.split('\n').filter((line) => lineWidth(line) > LINE_WIDTH)).toEqual([]);
    });
  }

  it('every golden is valid Python that mypy accepts (with the runtime port next to it)', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'codegen-golden-'));
    try {
      // One package per multi-file fixture (its modules import each other relatively); one for all the others.
      const packages = new Map<string, Array<[string, string]>>();
      for (const name of names) {
        const text = fs.readFileSync(path.join(FIXTURES, `${name}.py`), 'utf8');
        if (!text.startsWith('# ==== ')) {
          const shared = packages.get('shared') ?? [];
          shared.push([`${name.replace(/-/g, '_')}.py`, text]);
          packages.set('shared', shared);
          continue;
        }
        const modules = text
          .split(/^# ==== /m)
          .filter((t) => t !== '')
          .map((t): [string, string] => {
            const newline = t.indexOf('\n');
            return [t.slice(0, newline), t.slice(newline + 1)];
          });
        packages.set(name, modules);
      }
      for (const [name, modules] of packages) {
        const pkg = path.join(dir, name, 'pymcache_fdw');
        fs.mkdirSync(pkg, { recursive: true });
        fs.copyFileSync(path.join(ROOT, 'python-out/pymcache_fdw/_runtime.py'), path.join(pkg, '_runtime.py'));
        fs.writeFileSync(path.join(pkg, '__init__.py'), '');
        const files = modules.map(([file, text]) => {
          const target = path.join(pkg, file);
          fs.mkdirSync(path.dirname(target), { recursive: true });
          fs.writeFileSync(target, text);
          return target;
        });
        execFileSync('/usr/bin/python3', ['-m', 'py_compile', ...files]);
        const result = execFileSync(
          '/usr/bin/python3',
          ['-m', 'mypy', '--python-version', '3.9', '--ignore-missing-imports', '--no-error-summary', ...files],
          {
            cwd: path.join(dir, name),
            encoding: 'utf8',
          },
        );
        expect(result).toBe('');
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
