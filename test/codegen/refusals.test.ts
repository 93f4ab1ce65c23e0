// Refusal fixtures: each test/codegen/refusals/<name>.ts must fail with exactly the diagnostics in <name>.expected
// (file:line:col, code, why, what to write instead), and every diagnostic code has a fixture named after it.
// Set UPDATE_GOLDENS=1 to rewrite the .expected files (then review the diff).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DIAGNOSTIC_CODES, formatDiagnostic } from '../../codegen/diagnostics';
import { compileSources, fixtureFiles, listFixtures, REFUSALS } from './helpers';

const update = process.env.UPDATE_GOLDENS === '1';

describe('refusals: constructs whose Python meaning would differ fail the build with a located diagnostic', () => {
  const names = listFixtures(REFUSALS);

  for (const name of names) {
    it(`${name}.ts is refused as ${name}.expected says`, () => {
      const result = compileSources(fixtureFiles(name, fs.readFileSync(path.join(REFUSALS, `${name}.ts`), 'utf8')));
      const text = `${result.diagnostics.map(formatDiagnostic).join('\n')}\n`;
      const expectedPath = path.join(REFUSALS, `${name}.expected`);
      if (update) fs.writeFileSync(expectedPath, text);
      expect(result.files).toEqual([]);
      expect(text).toBe(fs.readFileSync(expectedPath, 'utf8'));
      // The fixture is named after the code it pins down, and that code is among its diagnostics.
      const code = name.slice(0, 6);
      expect(result.diagnostics.map((d) => d.code)).toContain(code);
    });
  }

  it('every diagnostic code has a refusal fixture', () => {
    const covered = new Set(names.map((n) => n.slice(0, 6)));
    expect(Object.keys(DIAGNOSTIC_CODES).filter((c) => !covered.has(c))).toEqual([]);
  });

  it('docs/emitter.md lists every diagnostic code', () => {
    const doc = fs.readFileSync(path.join(REFUSALS, '../../../docs/emitter.md'), 'utf8');
    expect(Object.keys(DIAGNOSTIC_CODES).filter((c) => !doc.includes(`| ${c} |`))).toEqual([]);
  });

  it('diagnostics read file:line:col: error PYxxxx: why. instead.', () => {
    const result = compileSources({ 'src/m.ts': 'export const half = (n: number): number => n / 2;\n' });
    expect(result.diagnostics.map(formatDiagnostic)).toEqual([
      'src/m.ts:1:46: error PY1005: `/` yields a fraction in JavaScript and the emitter treats numbers as Python ints. Use `intDiv(a, b)` from ./ports/runtime for truncating integer division.',
    ]);
  });
});
