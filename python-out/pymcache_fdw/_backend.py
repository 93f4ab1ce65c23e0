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

__all__ = ["GuardStatus", "guard_transaction", "pending_interrupt"]

GuardStatus = Literal["guarded", "guard-missing", "outside-backend"]
"""What guards a cache table's transaction (see guard_transaction)."""

# PostgreSQL's MAXPGPATH: the size of the pkglib_path buffer.
_MAXPGPATH = 1024
_GUARD_LIBRARY = "pymcache_fdw.so"

_process = ctypes.CDLL(None)


def _int_variable(name: str) -> Optional[ctypes.c_int]:
    try:
        return ctypes.c_int.in_dll(_process, name)
    except ValueError:
        return None


def _uint32_variable(name: str) -> ctypes.c_uint32:
    return ctypes.c_uint32.in_dll(_process, name)


# The interrupt flags and hold-off counters of miscadmin.h. QueryCancelPending exists in every backend since
# PostgreSQL 8; a process without it is not a backend.
_QUERY_CANCEL_PENDING = _int_variable("QueryCancelPending")
_IN_BACKEND = _QUERY_CANCEL_PENDING is not None


class _Interrupts:
    """The backend's interrupt state, read where ProcessInterrupts reads it."""

    def __init__(self, query_cancel_pending: ctypes.c_int) -> None:
        self.query_cancel_pending = query_cancel_pending
        self.interrupt_pending = ctypes.c_int.in_dll(_process, "InterruptPending")
        self.proc_die_pending = ctypes.c_int.in_dll(_process, "ProcDiePending")
        self.interrupt_holdoff = _uint32_variable("InterruptHoldoffCount")
        self.query_cancel_holdoff = _uint32_variable("QueryCancelHoldoffCount")
        self.crit_section = _uint32_variable("CritSectionCount")
        timeout_indicator = _process.get_timeout_indicator
        timeout_indicator.restype = ctypes.c_bool
        timeout_indicator.argtypes = [ctypes.c_int, ctypes.c_bool]
        self.timeout_indicator: Callable[[int, bool], bool] = timeout_indicator


_interrupts = _Interrupts(_QUERY_CANCEL_PENDING) if _QUERY_CANCEL_PENDING is not None else None
# timeout.h's TimeoutId: STATEMENT_TIMEOUT has been the fourth reason since PostgreSQL 9.3.
_STATEMENT_TIMEOUT = 3


def pending_interrupt() -> Optional[str]:
    """PostgreSQL's own words for an interrupt it would act on now (CHECK_FOR_INTERRUPTS), or None.

    Only flags are read, as ProcessInterrupts would read them: nothing while interrupts are held off (commit, abort,
    critical sections), a query cancel only when cancels are not held off either.
    """
    state = _interrupts
    if state is None or not state.interrupt_pending.value:
        return None
    if state.interrupt_holdoff.value or state.crit_section.value:
        return None
    if state.proc_die_pending.value:
        return "terminating connection due to administrator command"
    if state.query_cancel_pending.value and not state.query_cancel_holdoff.value:
        if state.timeout_indicator(_STATEMENT_TIMEOUT, False):
            return "canceling statement due to statement timeout"
        return "canceling statement due to user request"
    return None
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
    note_use: Callable[[], int] = function
    return note_use


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
