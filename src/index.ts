// The package's public classes: `wrapper 'pymcache_fdw.PymcacheFDW'` and `'pymcache_fdw.PymcacheFDWStats'`.
// Emitted as pymcache_fdw/__init__.py.
export { PymcacheFDW } from './fdw';
export { PymcacheFDWStats } from './stats';
