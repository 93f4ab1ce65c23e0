"""Backend port, Python binding: the twin of src/ports/backend.ts.

What the PostgreSQL backend offers the wrapper beyond Multicorn's API, reached with ctypes through the symbols the
postgres executable exports to its extensions. Hand-written, like _runtime.py. Outside a backend (a plain python3,
as in the differential tests) those symbols are absent, and every function answers as the Node binding does.

Nothing here may let a PostgreSQL error escape into Python frames: only variables are read, and the one C function
called (the guard's) catches its own errors.
"""
from __future__ import annotations

import ctypes
import os
from typing import Callable, Literal, Optional

__all__ = ["GuardStatus", "guard_transaction"]

GuardStatus = Literal["guarded", "guard-missing", "outside-backend"]
"""What guards a cache table's transaction (see guard_transaction)."""

# PostgreSQL's MAXPGPATH: the size of the pkglib_path buffer.
_MAXPGPATH = 1024
_GUARD_LIBRARY = "pymcache_fdw.so"

_process = ctypes.CDLL(None)


def _exported(name: str) -> bool:
    try:
        ctypes.c_int.in_dll(_process, name)
    except ValueError:
        return False
    return True


# QueryCancelPending exists in every backend since PostgreSQL 8; a process without it is not a backend.
_IN_BACKEND = _exported("QueryCancelPending")
_note_use: Optional[Callable[[], int]] = None


def _load_guard() -> Optional[Callable[[], int]]:
    pkglib = (ctypes.c_char * _MAXPGPATH).in_dll(_process, "pkglib_path").value.decode()
    try:
        library = ctypes.CDLL(os.path.join(pkglib, _GUARD_LIBRARY))
    except OSError:
        return None
    function = library.pymcache_fdw_guard_note_use
    function.restype = ctypes.c_int
    function.argtypes = []
    return function  # type: ignore[no-any-return]


def guard_transaction() -> GuardStatus:
    """Marks the current transaction as one that used a cache table; 'guarded' when the guard library is in place.

    The library (extension/ of the repository, installed with the pymcache_fdw extension) refuses PREPARE TRANSACTION
    and INSERT ... ON CONFLICT on cache tables, which Multicorn gives the wrapper no hook to refuse.
    """
    global _note_use
    if not _IN_BACKEND:
        return "outside-backend"
    if _note_use is None:
        _note_use = _load_guard()
        if _note_use is None:
            return "guard-missing"
    return "guarded" if _note_use() == 1 else "guard-missing"
