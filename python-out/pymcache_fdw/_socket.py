"""Socket port, Python binding: the twin of src/ports/socket.ts.

One TCP connection to a memcached server, non-blocking underneath: every wait is a poll() in slices of at most
INTERRUPT_CHECK_SECONDS, so that a statement PostgreSQL wants to stop (pg_cancel_backend, statement_timeout) is not
held by a silent server for the whole timeout. While sending, replies that arrive are read into the inbox, so a large
pipelined request never deadlocks against a server blocked on writing its replies. Hand-written, like _runtime.py.
"""
from __future__ import annotations

import errno
import select
import socket
import time
from typing import Dict, List, Literal, Optional

from ._backend import pending_interrupt

__all__ = ["SocketFailure", "SocketError", "Socket", "open_socket"]

SocketFailure = Literal["refused", "not-found", "unreachable", "timeout", "reset", "interrupted", "other"]
"""Why a socket operation failed (src/ports/socket.ts documents each kind)."""

# How long one wait lasts at most before PostgreSQL's interrupt flags are looked at again.
INTERRUPT_CHECK_SECONDS = 0.1
# Most a recv() takes at once. recv(n) allocates n bytes first: above glibc's mmap threshold (128 KiB) that is an
# mmap, an mremap to the size received and a munmap per call (and page faults), which cost a one-key read more CPU
# than all its Python; 64 KiB comes from the heap.
_RECEIVE_BYTES = 65536

_ERRNO_FAILURES: Dict[int, SocketFailure] = {
    errno.ECONNREFUSED: "refused",
    errno.EHOSTUNREACH: "unreachable",
    errno.ENETUNREACH: "unreachable",
    errno.EADDRNOTAVAIL: "unreachable",
    errno.ECONNRESET: "reset",
    errno.EPIPE: "reset",
    errno.ETIMEDOUT: "timeout",
}


class SocketError(OSError):
    """A failed socket operation; ``failure`` is one of the kinds of src/ports/socket.ts (SocketFailure)."""

    def __init__(self, failure: SocketFailure, message: str) -> None:
        super().__init__(message)
        self.failure = failure

    def __str__(self) -> str:
        return str(self.args[0])


def _os_failure(code: Optional[int], phase: str) -> SocketError:
    failure: SocketFailure = _ERRNO_FAILURES.get(code, "other") if code is not None else "other"
    if failure == "refused":
        return SocketError(failure, "connection refused")
    if failure == "unreachable":
        return SocketError(failure, "host unreachable")
    if failure == "reset":
        return SocketError(failure, f"connection reset by the server during {phase}")
    if failure == "timeout":
        return SocketError(failure, f"{phase} timed out")
    name = errno.errorcode.get(code, "unknown error") if code is not None else "unknown error"
    return SocketError("other", f"{phase} failed: {name}")


def _timed_out(phase: str, seconds: float) -> SocketError:
    return SocketError("timeout", f"{phase} timed out after {seconds!r} s")


def _wait(sock: socket.socket, events: int, deadline: float, phase: str, seconds: float) -> int:
    """Waits until ``sock`` is ready for ``events`` (select.POLL*), the deadline passes, or PostgreSQL interrupts."""
    poller = select.poll()
    poller.register(sock, events)
    return _wait_with(poller, deadline, phase, seconds)


def _wait_with(poller: select.poll, deadline: float, phase: str, seconds: float) -> int:
    """_wait on a poller that already holds the socket and its events."""
    while True:
        interrupt = pending_interrupt()
        if interrupt is not None:
            raise SocketError("interrupted", f"{phase} interrupted: {interrupt}")
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise _timed_out(phase, seconds)
        ready = poller.poll(min(remaining, INTERRUPT_CHECK_SECONDS) * 1000)
        if ready:
            return ready[0][1]


def open_socket(host: str, port: int, *, connect_timeout: float) -> "Socket":
    """Opens a TCP connection to the first address of ``host`` that accepts, with TCP_NODELAY on."""
    deadline = time.monotonic() + connect_timeout
    try:
        addresses = socket.getaddrinfo(host, port, 0, socket.SOCK_STREAM)
    except socket.gaierror:
        raise SocketError("not-found", "host name not found") from None
    last: Optional[SocketError] = None
    for family, kind, protocol, _, address in addresses:
        sock = socket.socket(family, kind, protocol)
        try:
            sock.setblocking(False)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            code = sock.connect_ex(address)
            if code == errno.EINPROGRESS:
                _wait(sock, select.POLLOUT, deadline, "connect", connect_timeout)
                code = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            if code != 0:
                raise _os_failure(code, "connect")
            return Socket(sock)
        except SocketError as error:
            sock.close()
            if error.failure in ("timeout", "interrupted"):
                raise
            last = error
    raise last if last is not None else SocketError("not-found", "host name not found")


class Socket:
    """One open connection. Bytes read while sending wait in the inbox for the next receive."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self._inbox: List[bytes] = []
        self._ended = False
        # Whether a recv would not block, asked of the kernel by poll(0): a recv that would block raises
        # BlockingIOError, and building and catching that exception costs several times the poll.
        self._readable = select.poll()
        self._readable.register(sock, select.POLLIN)

    def send_all(self, data: bytes, timeout: float) -> None:
        """Sends every byte of ``data`` within ``timeout`` seconds."""
        sock = self._sock
        view = memoryview(data)
        deadline = 0.0
        while view:
            try:
                sent = sock.send(view)
            except BlockingIOError:
                if deadline == 0.0:
                    deadline = time.monotonic() + timeout
                ready = _wait(sock, select.POLLOUT | select.POLLIN, deadline, "send", timeout)
                if ready & (select.POLLIN | select.POLLHUP | select.POLLERR) and not self._ended:
                    self._drain()
                continue
            except OSError as error:
                raise _os_failure(error.errno, "send") from None
            view = view[sent:]

    def _drain(self) -> None:
        """Reads what has arrived into the inbox (a server answering the first requests of a long pipeline)."""
        try:
            chunk = self._sock.recv(_RECEIVE_BYTES)
        except BlockingIOError:
            return
        except OSError as error:
            raise _os_failure(error.errno, "send") from None
        if chunk:
            self._inbox.append(chunk)
        else:
            self._ended = True

    def receive(self, timeout: float) -> bytes:
        """The bytes that have arrived, waiting up to ``timeout`` seconds for one; b'' once the server closed."""
        if self._inbox:
            chunk = self._inbox[0] if len(self._inbox) == 1 else b"".join(self._inbox)
            self._inbox = []
            return chunk
        if self._ended:
            return b""
        sock = self._sock
        readable = self._readable
        # The first slice of the wait does not look at PostgreSQL's interrupt flags first: nearly every reply comes
        # within it, for one poll() in all. A longer wait looks at them before each further slice, so an interrupt
        # still stops a wait within INTERRUPT_CHECK_SECONDS.
        first = min(timeout, INTERRUPT_CHECK_SECONDS)
        deadline = 0.0
        while True:
            if deadline != 0.0 or not readable.poll(first * 1000):
                if deadline == 0.0:
                    deadline = time.monotonic() + timeout - first
                _wait_with(readable, deadline, "receive", timeout)
            try:
                chunk = sock.recv(_RECEIVE_BYTES)
            except BlockingIOError:
                continue
            except OSError as error:
                raise _os_failure(error.errno, "receive") from None
            if not chunk:
                self._ended = True
            return chunk

    def is_stale(self) -> bool:
        """Whether an idle connection can no longer be used: closed or reset by the server, or holding unasked bytes."""
        if self._ended or self._inbox:
            return True
        # Readable while idle: bytes nobody asked for, the server's close (a recv would return b''), or an error.
        return bool(self._readable.poll(0))

    def close(self) -> None:
        self._ended = True
        self._sock.close()
