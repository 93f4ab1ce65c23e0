// src/ file names -> Python module names and output paths: src/keys.ts -> pymcache_fdw.keys (keys.py),
// src/cache-store.ts -> pymcache_fdw.cache_store,
// src/index.ts -> pymcache_fdw (__init__.py), src/a/b.ts -> pymcache_fdw.a.b (a/b.py).
import * as path from 'node:path';
import { PACKAGE } from './ports';

/** The names of the modules under one src/ directory (the compile context holds one per compilation). */
export class ModuleNames {
  /** `sourceRoot`: the absolute src/ directory the module names are relative to. */
  constructor(private readonly sourceRoot: string) {}

  private parts(fileName: string): string[] | null {
    const relative = path.posix.relative(this.sourceRoot, fileName);
    if (relative.startsWith('..') || !relative.endsWith('.ts') || relative.endsWith('.d.ts')) return null;
    // Python module names are identifiers: kebab-case file names become snake_case (cache-store.ts -> cache_store).
    return relative
      .slice(0, -'.ts'.length)
      .split('/')
      .map((part) => part.replace(/-/g, '_'));
  }

  isPackageInit(fileName: string): boolean {
    const p = this.parts(fileName);
    return p !== null && p[p.length - 1] === 'index';
  }

  moduleNameOf(fileName: string): string | null {
    const p = this.parts(fileName);
    if (p === null) return null;
    const modules = p[p.length - 1] === 'index' ? p.slice(0, -1) : p;
    return [PACKAGE, ...modules].join('.');
  }

  /** The output path relative to the package directory (`keys.py`, `__init__.py`, `a/b.py`). */
  outputPathOf(fileName: string): string | null {
    const p = this.parts(fileName);
    if (p === null) return null;
    if (p[p.length - 1] === 'index') return [...p.slice(0, -1), '__init__.py'].join('/');
    return `${p.join('/')}.py`;
  }

  sourcePathOf(fileName: string): string {
    return `src/${path.posix.relative(this.sourceRoot, fileName)}`;
  }
}
