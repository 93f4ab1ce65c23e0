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
from typing import Callable, List, Literal, Optional, Tuple

__all__ = [
    "GuardStatus", "guard_status", "guard_transaction", "key_order_is_bytewise", "pending_interrupt",
    "planned_key_rows", "query_may_modify", "user_mapping_violation",
]

GuardStatus = Literal["guarded", "guard-missing", "outside-backend"]
"""What guards a cache table's transaction (see guard_transaction)."""

# Room for "server\noption" (two NAMEDATALEN identifiers) written by the guard's user mapping check.
_MAPPING_VIOLATION_SIZE = 160
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
class _Guard:
    """The guard library's functions; a function an older build lacks answers what the wrapper must assume."""

    def __init__(self, library: ctypes.CDLL) -> None:
        self.note_use: Optional[Callable[[], int]] = self._function(library, "pymcache_fdw_guard_note_use")
        self.install: Optional[Callable[[], int]] = self._function(library, "pymcache_fdw_guard_install")
        self.query_may_modify: Optional[Callable[[], int]] = self._function(
            library, "pymcache_fdw_guard_query_may_modify")
        self.key_order_is_bytewise: Optional[Callable[[], int]] = self._function(
            library, "pymcache_fdw_guard_key_order_is_bytewise")
        self.planned_key_rows: Optional[Callable[[bytes], int]] = self._function(
            library, "pymcache_fdw_guard_planned_key_rows", ctypes.c_char_p)
        self.mapping_violation: Optional[Callable[[bytes, ctypes.Array[ctypes.c_char], int], int]] = self._function(
            library, "pymcache_fdw_guard_mapping_violation", ctypes.c_char_p, ctypes.c_char_p, ctypes.c_int)

    @staticmethod
    def _function(library: ctypes.CDLL, name: str, *argtypes: type) -> Optional[Callable[..., int]]:
        """The library's C function `name` returning int and taking `argtypes`, or None when this build lacks it."""
        try:
            function = getattr(library, name)
        except AttributeError:
            return None
        function.restype = ctypes.c_int
        function.argtypes = list(argtypes)
        typed: Callable[..., int] = function
        return typed


_guard: Optional[_Guard] = None
_guard_looked_for = False


def _loaded_guard() -> Optional[_Guard]:
    """The guard library, loaded from PostgreSQL's library directory on first use; None when it is not installed."""
    global _guard, _guard_looked_for
    if _guard is None and not _guard_looked_for and _IN_BACKEND:
        _guard_looked_for = True
        pkglib = (ctypes.c_char * _MAXPGPATH).in_dll(_process, "pkglib_path").value.decode()
        try:
            _guard = _Guard(ctypes.CDLL(os.path.join(pkglib, _GUARD_LIBRARY)))
        except OSError:
            _guard = None
        # ctypes runs no _PG_init: the hooks are installed now, so that the next query planned is seen too.
        if _guard is not None and _guard.install is not None:
            _guard.install()
    return _guard


def guard_transaction() -> GuardStatus:
    """Marks the current transaction as one that used a cache table; 'guarded' when the guard library is in place.

    The library (extension/ of the repository, installed with the pymcache_fdw extension) refuses PREPARE TRANSACTION
    and INSERT ... ON CONFLICT on cache tables, which Multicorn gives the wrapper no hook to refuse.
    """
    if not _IN_BACKEND:
        return "outside-backend"
    guard = _loaded_guard()
    if guard is None or guard.note_use is None:
        return "guard-missing"
    return "guarded" if guard.note_use() == 1 else "guard-missing"


def guard_status() -> GuardStatus:
    """Whether the guard library is in place (loading it on first use), without marking the transaction."""
    if not _IN_BACKEND:
        return "outside-backend"
    guard = _loaded_guard()
    if guard is None or guard.note_use is None or guard.mapping_violation is None:
        return "guard-missing"
    return "guarded"


def user_mapping_violation(allowed: List[str]) -> Optional[Tuple[str, str]]:
    """The first option outside `allowed` in a user mapping of a cache server that applies to the current user (its own
    or PUBLIC's), as (server name, option name); None when there is none or nothing can be checked (see guard_status).

    A failed check (the catalog could not be read) is ("", ""), never None.
    """
    if not _IN_BACKEND:
        return None
    guard = _loaded_guard()
    if guard is None or guard.mapping_violation is None:
        return None
    found = ctypes.create_string_buffer(_MAPPING_VIOLATION_SIZE)
    result = guard.mapping_violation(",".join(allowed).encode("utf-8"), found, _MAPPING_VIOLATION_SIZE)
    if result == 0:
        return None
    if result < 0:
        return ("", "")
    server, _, option = found.value.decode("utf-8", "replace").partition("\n")
    return (server, option)


def query_may_modify() -> bool:
    """Whether the running query may modify anything: False only when the guard knows it is a plain SELECT."""
    guard = _loaded_guard()
    if guard is None or guard.query_may_modify is None:
        return True
    return guard.query_may_modify() != 0


def key_order_is_bytewise() -> bool:
    """Whether every comparison in the running query's cache table conditions uses a C collation.

    Outside a backend (plain python3) comparisons are bytewise, as in Node; in a backend without the guard library
    nothing is known, so no key range is applied during a listing.
    """
    if not _IN_BACKEND:
        return True
    guard = _loaded_guard()
    if guard is None or guard.key_order_is_bytewise is None:
        return False
    return guard.key_order_is_bytewise() == 1


def planned_key_rows(column: str) -> Optional[int]:
    """The rows a lookup returns at most when the query being planned reads one cache table alone and looks it up by
    ``column = $n`` (1); None otherwise.

    Only get_rel_size asks, for a generic plan's estimate; without the guard library (or outside a backend) nothing is
    known and the plan is costed as before.
    """
    if not _IN_BACKEND:
        return None
    guard = _loaded_guard()
    if guard is None or guard.planned_key_rows is None:
        return None
    rows = guard.planned_key_rows(column.encode("utf-8"))
    return rows if rows > 0 else None
