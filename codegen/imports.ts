// Collects the imports an emitted module needs and renders them as PEP 8 groups, sorted, so the output does not
// depend on the order in which visitors ask for names.
import type * as py from './python-ast';
import { PACKAGE } from './ports';

const STDLIB = new Set(['__future__', 'collections.abc', 'functools', 'math', 'typing', 'unicodedata']);

export class ImportCollector {
  /** module -> imported name -> local alias (null when imported under its own name). */
  private readonly fromImports = new Map<string, Map<string, string | null>>();
  private readonly moduleImports = new Set<string>();
  /** Names needed only by hints, imported under `if TYPE_CHECKING:` (no import cycle at run time). */
  private readonly typeOnly = new Map<string, Set<string>>();

  addTypeOnly(module: string, name: string): void {
    let names = this.typeOnly.get(module);
    if (names === undefined) {
      names = new Set();
      this.typeOnly.set(module, names);
    }
    names.add(name);
  }

  /** `from module import name [as alias]`; returns the local name. */
  addFrom(module: string, name: string, alias: string | null = null): string {
    let names = this.fromImports.get(module);
    if (names === undefined) {
      names = new Map();
      this.fromImports.set(module, names);
    }
    const key = alias === null || alias === name ? name : `${name} as ${alias}`;
    names.set(key, alias === name ? null : alias);
    return alias ?? name;
  }

  /** `import module` (stdlib modules the emitter uses by qualified name, like `math`). */
  addModule(module: string): void {
    this.moduleImports.add(module);
  }

  /** Import statements in groups: __future__, standard library, third party, this package (relative). */
  render(currentModule: string, isPackageInit: boolean): py.Stmt[][] {
    const guarded: py.Stmt[] = [];
    for (const module of [...this.typeOnly.keys()].sort()) {
      const already = this.fromImports.get(module);
      const names = [...this.typeOnly.get(module)!].filter((n) => already === undefined || !already.has(n)).sort();
      if (names.length === 0 || module === currentModule) continue;
      const relative =
        module === PACKAGE || module.startsWith(`${PACKAGE}.`)
          ? relativeModule(currentModule, module, isPackageInit)
          : module;
      guarded.push({ kind: 'ImportFrom', module: relative, names: names.map((name) => ({ name, asname: null })) });
    }
    if (guarded.length > 0) this.addFrom('typing', 'TYPE_CHECKING');
    const future: py.Stmt[] = [
      { kind: 'ImportFrom', module: '__future__', names: [{ name: 'annotations', asname: null }] },
    ];
    const stdlib: Array<[string, py.Stmt]> = [];
    const third: Array<[string, py.Stmt]> = [];
    const local: Array<[string, py.Stmt]> = [];
    for (const module of this.moduleImports) {
      stdlib.push([`0 ${module}`, { kind: 'ImportModule', module }]);
    }
    for (const [module, names] of this.fromImports) {
      const aliases = [...names.keys()].sort().map((key) => {
        const [name, , alias] = key.split(' ');
        return { name: name!, asname: alias ?? null };
      });
      if (module === PACKAGE || module.startsWith(`${PACKAGE}.`)) {
        const relative = relativeModule(currentModule, module, isPackageInit);
        local.push([relative, { kind: 'ImportFrom', module: relative, names: aliases }]);
      } else {
        const group = STDLIB.has(module) ? stdlib : third;
        group.push([`1 ${module}`, { kind: 'ImportFrom', module, names: aliases }]);
      }
    }
    const byKey = (a: [string, py.Stmt], b: [string, py.Stmt]): number => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);
    const groups = [
      future,
      stdlib.sort(byKey).map((e) => e[1]),
      third.sort(byKey).map((e) => e[1]),
      local.sort(byKey).map((e) => e[1]),
    ];
    if (guarded.length > 0)
      groups.push([{ kind: 'If', test: { kind: 'Name', id: 'TYPE_CHECKING' }, body: guarded, orelse: [] }]);
    return groups.filter((group) => group.length > 0);
  }
}

/**
 * The relative spelling of `target` (a dotted module under the package) from `current`: from `pymcache_fdw.keys`,
 * `pymcache_fdw._runtime` is `._runtime`; from `pymcache_fdw.distribution.ring` it is `.._runtime`. A package's
 * `__init__` module counts as being inside the package.
 */
export function relativeModule(current: string, target: string, isPackageInit: boolean): string {
  const currentPackage = isPackageInit ? current.split('.') : current.split('.').slice(0, -1);
  const targetParts = target.split('.');
  let common = 0;
  while (
    common < currentPackage.length &&
    common < targetParts.length - 1 &&
    currentPackage[common] === targetParts[common]
  )
    common++;
  const ups = currentPackage.length - common;
  return '.'.repeat(ups + 1) + targetParts.slice(common).join('.');
}
