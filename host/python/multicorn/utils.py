"""Logging to PostgreSQL from a wrapper, with multicorn2 3.x semantics.

DEBUG, INFO and WARNING are sent at once (INFO arrives as a NOTICE). ERROR and CRITICAL raise
MulticornException instead: the Python stack unwinds (finally blocks and context managers run) and the host
turns the exception into a PostgreSQL ERROR (CRITICAL: FATAL) carrying the message, hint and detail.
"""
from logging import CRITICAL, DEBUG, ERROR, INFO, WARNING

try:
    from ._utils import _log_to_postgres, check_interrupts
except ImportError:  # imported outside a PostgreSQL backend (unit tests, type checkers)
    from warnings import warn

    warn('Not executed in a postgresql server, disabling log_to_postgres', ImportWarning)

    def _log_to_postgres(message, level=0, hint=None, detail=None):
        pass

    def check_interrupts():
        pass

__all__ = ['log_to_postgres', 'check_interrupts', 'MulticornException', 'REPORT_CODES',
           'DEBUG', 'INFO', 'WARNING', 'ERROR', 'CRITICAL']

# Python logging level -> the code the C side maps to a PostgreSQL level.
REPORT_CODES = {DEBUG: 0, INFO: 1, WARNING: 2, ERROR: 3, CRITICAL: 4}


class MulticornException(Exception):
    """Raised by log_to_postgres at ERROR/CRITICAL; the host reports message, hint and detail."""

    def __init__(self, message, code, hint, detail):
        self._is_multicorn_exception = True
        self.message = message
        self.code = code
        self.hint = hint
        self.detail = detail


def log_to_postgres(message, level=INFO, hint=None, detail=None):
    code = REPORT_CODES.get(level)
    if code is None:
        raise KeyError('Not a valid log level')
    if level in (ERROR, CRITICAL):
        raise MulticornException(message, code, hint, detail)
    _log_to_postgres(message, code, hint=hint, detail=detail)
