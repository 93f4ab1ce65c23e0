// Bytes compare by content in Python (`==`), never by identity: `===` on Bytes is refused (PY1052, see the refusal
// fixture), and a runtime helper `bytesEqual(a, b)` is written inline as `a == b` once src/ports/runtime.ts exports
// one. The port here is the real one plus that declaration, as another change to the runtime port would add it.
import { describe, expect, it } from 'vitest';
import { compileProject, inMemoryProject } from '../../codegen/compiler';
import { portSources } from './helpers';

const BYTES_EQUAL = `
/** Whether two byte strings hold the same bytes. */
export function bytesEqual(a: Bytes, b: Bytes): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
`;

describe('Bytes equality', () => {
  it('bytesEqual(a, b) from the runtime port is written as a == b (a reference to it imports bytes_equal)', () => {
    const ports = portSources();
    const files = {
      ...ports,
      'src/ports/runtime.ts': `${ports['src/ports/runtime.ts']!}${BYTES_EQUAL}`,
      'src/same.ts': [
        "import { bytesEqual, utf8Encode, type Bytes } from './ports/runtime';",
        'export function same(a: Bytes, key: string): boolean {',
        '  return bytesEqual(a, utf8Encode(key));',
        '}',
        'export const compare: (a: Bytes, b: Bytes) => boolean = bytesEqual;',
        '',
      ].join('\n'),
    };
    const result = compileProject(inMemoryProject(files), { root: '/project' });
    expect(result.diagnostics).toEqual([]);
    const text = result.files.find((f) => f.path === 'same.py')!.text;
    expect(text).toContain('    return a == utf8_encode(key)\n');
    expect(text).toContain('from ._runtime import bytes_equal, utf8_encode\n');
    expect(text).toContain('compare: Callable[[bytes, bytes], bool] = bytes_equal\n');
  });
});
