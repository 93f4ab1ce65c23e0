"""Socket port, Python binding: the twin of src/ports/socket.ts.

One TCP connection to a memcached server, non-blocking underneath, with TLS over it when asked (ssl, the handshake
driven by the same poll loop): every wait is a poll() in slices of at most INTERRUPT_CHECK_SECONDS, so that a
statement PostgreSQL wants to stop (pg_cancel_backend, statement_timeout) is not held by a silent server for the whole
timeout. While sending, replies that arrive are read into the inbox, so a large pipelined request never deadlocks
against a server blocked on writing its replies. OpenSSL's reasons become the same fixed texts as in the Node binding.
Hand-written, like _runtime.py.
"""
from __future__ import annotations

import errno
import select
import socket
import ssl
import tempfile
import time
from typing import Dict, List, Literal, Optional, Union

from ._backend import pending_interrupt

__all__ = ["SocketFailure", "SocketError", "Socket", "Spool", "TlsMode", "open_socket", "open_spool", "pause"]

SocketFailure = Literal["refused", "not-found", "unreachable", "timeout", "reset", "interrupted", "tls", "other"]
"""Why a socket operation failed (src/ports/socket.ts documents each kind)."""

TlsMode = Literal["off", "on", "insecure"]
"""'off': plain TCP; 'on': TLS verifying the certificate chain and the host name; 'insecure': TLS, no verification."""

# How long one wait lasts at most before PostgreSQL's interrupt flags are looked at again.
INTERRUPT_CHECK_SECONDS = 0.1
# How long a TLS 1.3 connection waits after its handshake for the server's verdict on the client (_await_verdict).
POST_HANDSHAKE_WAIT_SECONDS = 0.25
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


# ---- TLS messages: the same fixed texts in src/ports/socket.ts ----

# OpenSSL's certificate verification results (X509_V_ERR_*) by number, named as Node names them.
_VERIFY_NAMES: Dict[int, str] = {
    2: "UNABLE_TO_GET_ISSUER_CERT",
    7: "CERT_SIGNATURE_FAILURE",
    9: "CERT_NOT_YET_VALID",
    10: "CERT_HAS_EXPIRED",
    18: "DEPTH_ZERO_SELF_SIGNED_CERT",
    19: "SELF_SIGNED_CERT_IN_CHAIN",
    20: "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
    21: "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
    23: "CERT_REVOKED",
    24: "INVALID_CA",
    26: "INVALID_PURPOSE",
    27: "CERT_UNTRUSTED",
    28: "CERT_REJECTED",
    62: "HOSTNAME_MISMATCH",
    64: "IP_ADDRESS_MISMATCH",
}
_UNTRUSTED_CERTIFICATE = (
    "UNABLE_TO_GET_ISSUER_CERT",
    "DEPTH_ZERO_SELF_SIGNED_CERT",
    "SELF_SIGNED_CERT_IN_CHAIN",
    "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
    "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
)
_NOT_TLS_REASONS = (
    "WRONG_VERSION_NUMBER",
    "HTTP_REQUEST",
    "RECORD_LAYER_FAILURE",
    "PACKET_LENGTH_TOO_LONG",
    "UNKNOWN_PROTOCOL",
)
_CLIENT_CERTIFICATE_REFUSED = (
    "SSLV3_ALERT_BAD_CERTIFICATE",
    "SSLV3_ALERT_CERTIFICATE_UNKNOWN",
    "SSLV3_ALERT_UNSUPPORTED_CERTIFICATE",
    "SSLV3_ALERT_CERTIFICATE_EXPIRED",
    "SSLV3_ALERT_CERTIFICATE_REVOKED",
)
_NO_COMMON_VERSION = ("TLSV1_ALERT_PROTOCOL_VERSION", "UNSUPPORTED_PROTOCOL", "NO_PROTOCOLS_AVAILABLE")
TLS_CLOSED_DURING_HANDSHAKE = "the server closed the connection during the TLS handshake"


def _verify_failure(name: str, host: str) -> SocketError:
    prefix = "certificate verify failed: "
    if name in _UNTRUSTED_CERTIFICATE:
        return SocketError("tls", f"{prefix}the server's certificate is not signed by a trusted certificate authority")
    if name == "CERT_HAS_EXPIRED":
        return SocketError("tls", f"{prefix}the server's certificate has expired")
    if name == "CERT_NOT_YET_VALID":
        return SocketError("tls", f"{prefix}the server's certificate is not valid yet")
    if name in ("HOSTNAME_MISMATCH", "IP_ADDRESS_MISMATCH"):
        return SocketError("tls", f'{prefix}the server\'s certificate is not valid for the host name "{host}"')
    return SocketError("tls", prefix + name.lower().replace("_", " "))


def _reason_failure(reason: str) -> SocketError:
    if reason in _NOT_TLS_REASONS:
        return SocketError("tls", "the server does not speak TLS on this port")
    if reason == "TLSV13_ALERT_CERTIFICATE_REQUIRED":
        return SocketError("tls", "the server requires a client certificate")
    if reason == "TLSV1_ALERT_UNKNOWN_CA":
        return SocketError("tls", "the server does not trust the client certificate (unknown certificate authority)")
    if reason in _CLIENT_CERTIFICATE_REFUSED:
        return SocketError("tls", "the server refused the client certificate")
    if reason in _NO_COMMON_VERSION:
        return SocketError("tls", "the server and the client have no TLS version in common")
    if reason == "UNEXPECTED_EOF_WHILE_READING":
        return SocketError("tls", TLS_CLOSED_DURING_HANDSHAKE)
    return SocketError("tls", "TLS failed: " + reason.lower().replace("_", " "))


def _tls_failure(error: ssl.SSLError, host: str) -> SocketError:
    """The SocketError for an ssl error: a verification result, or OpenSSL's reason."""
    if isinstance(error, ssl.SSLCertVerificationError):
        code = error.verify_code
        return _verify_failure(_VERIFY_NAMES.get(code, f"X509 error {code}"), host)
    if isinstance(error, ssl.SSLEOFError):
        return SocketError("tls", TLS_CLOSED_DURING_HANDSHAKE)
    reason = error.reason
    return _reason_failure(reason if isinstance(reason, str) else "UNKNOWN")


def _file_read_failure(role: str, path: str, error: OSError) -> SocketError:
    code = error.errno
    if code == errno.ENOENT:
        reason = "no such file"
    elif code == errno.EACCES:
        reason = "permission denied"
    elif code == errno.EISDIR:
        reason = "it is a directory"
    else:
        reason = "error " + (errno.errorcode.get(code, "unknown") if code is not None else "unknown")
    return SocketError("tls", f"cannot read the {role} {path}: {reason}")


def _readable(role: str, path: str) -> None:
    """Raises the SocketError naming ``path`` when it cannot be opened (ssl's own errors would not say which file)."""
    try:
        with open(path, "rb"):
            pass
    except OSError as error:
        raise _file_read_failure(role, path, error) from None


def _tls_context(
    mode: TlsMode, ca_file: Optional[str], cert_file: Optional[str], key_file: Optional[str]
) -> ssl.SSLContext:
    """The TLS context for the options (files read now); a file that cannot be used is a SocketError of kind 'tls'."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    if mode == "insecure":
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    if ca_file is not None:
        _readable("CA file", ca_file)
        try:
            context.load_verify_locations(cafile=ca_file)
        except ssl.SSLError:
            raise SocketError("tls", f"no certificate in the CA file {ca_file}") from None
    elif mode == "on":
        context.load_default_certs()
    if cert_file is not None and key_file is not None:
        _readable("client certificate file", cert_file)
        _readable("client key file", key_file)
        try:
            context.load_cert_chain(cert_file, key_file)
        except ssl.SSLError as error:
            if error.reason == "KEY_VALUES_MISMATCH":
                raise SocketError("tls", "the client certificate and key do not match") from None
            raise SocketError("tls", "the client certificate or key is not usable PEM") from None
    return context


_AnySocket = Union[socket.socket, ssl.SSLSocket]


def _wait(sock: _AnySocket, events: int, deadline: float, phase: str, seconds: float) -> int:
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


def _handshake(
    context: ssl.SSLContext, sock: socket.socket, host: str, deadline: float, seconds: float
) -> ssl.SSLSocket:
    """TLS over the connected non-blocking ``sock``, driven by poll until done, the deadline, or an interrupt."""
    secure = context.wrap_socket(sock, server_hostname=host, do_handshake_on_connect=False)
    while True:
        try:
            secure.do_handshake()
            break
        except ssl.SSLWantReadError:
            _wait(secure, select.POLLIN, deadline, "TLS handshake", seconds)
        except ssl.SSLWantWriteError:
            _wait(secure, select.POLLOUT, deadline, "TLS handshake", seconds)
        except ssl.SSLError as error:
            raise _tls_failure(error, host) from None
        except OSError:
            # Reset or closed by the server before the handshake finished.
            raise SocketError("tls", TLS_CLOSED_DURING_HANDSHAKE) from None
    if secure.version() == "TLSv1.3":
        _await_verdict(secure, host, min(deadline, time.monotonic() + POST_HANDSHAKE_WAIT_SECONDS))
    return secure


def _await_verdict(secure: ssl.SSLSocket, host: str, until: float) -> None:
    """TLS 1.3: the client's handshake ends before the server has checked the client's certificate; the server's
    first record after it says how that went (session tickets, or an alert refusing the certificate). Waiting for it
    (until ``until`` at most) reports a refusal here, the same way as the Node binding, instead of racing the first
    request (which the server answers by closing the connection, losing the alert).
    """
    poller = select.poll()
    poller.register(secure, select.POLLIN)
    while True:
        interrupt = pending_interrupt()
        if interrupt is not None:
            raise SocketError("interrupted", f"TLS handshake interrupted: {interrupt}")
        remaining = until - time.monotonic()
        if remaining <= 0:
            return
        if poller.poll(min(remaining, INTERRUPT_CHECK_SECONDS) * 1000):
            break
    try:
        secure.recv(1)
    except ssl.SSLWantReadError:
        return  # a session ticket: the server accepted the client
    except ssl.SSLError as error:
        raise _tls_failure(error, host) from None
    except OSError:
        raise SocketError("tls", TLS_CLOSED_DURING_HANDSHAKE) from None
    # Application data before any request (b'' is a close): neither is a memcached server's doing.
    raise SocketError("tls", TLS_CLOSED_DURING_HANDSHAKE)


def open_socket(
    host: str,
    port: int,
    *,
    connect_timeout: float,
    tls: TlsMode = "off",
    tls_ca_file: Optional[str] = None,
    tls_cert_file: Optional[str] = None,
    tls_key_file: Optional[str] = None,
) -> "Socket":
    """Opens a TCP connection to the first address of ``host`` that accepts, with TCP_NODELAY on, and TLS over it
    unless ``tls`` is 'off'; ``connect_timeout`` bounds both. A certificate or key file that cannot be used fails
    before anything is sent.
    """
    context = None if tls == "off" else _tls_context(tls, tls_ca_file, tls_cert_file, tls_key_file)
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
            if context is None:
                return Socket(sock, host)
            return Socket(_handshake(context, sock, host, deadline, connect_timeout), host)
        except SocketError as error:
            sock.close()
            if error.failure in ("timeout", "interrupted", "tls"):
                raise
            last = error
    raise last if last is not None else SocketError("not-found", "host name not found")


class Socket:
    """One open connection. Bytes read while sending wait in the inbox for the next receive."""

    def __init__(self, sock: _AnySocket, host: str) -> None:
        self._sock = sock
        self._tls = isinstance(sock, ssl.SSLSocket)
        self._host = host
        self._inbox: List[bytes] = []
        self._ended = False
        # Whether a recv would not block, asked of the kernel by poll(0): a recv that would block raises
        # BlockingIOError, and building and catching that exception costs several times the poll.
        self._poller = select.poll()
        self._poller.register(sock, select.POLLIN)

    def _failure(self, error: OSError, phase: str) -> SocketError:
        if isinstance(error, ssl.SSLError):
            return _tls_failure(error, self._host)
        return _os_failure(error.errno, phase)

    def send_all(self, data: bytes, timeout: float) -> None:
        """Sends every byte of ``data`` within ``timeout`` seconds."""
        sock = self._sock
        view = memoryview(data)
        deadline = 0.0
        while view:
            try:
                sent = sock.send(view)
            except (BlockingIOError, ssl.SSLWantWriteError, ssl.SSLWantReadError):
                # TLS: a write that wants to write (or read) more is retried with the same bytes.
                if deadline == 0.0:
                    deadline = time.monotonic() + timeout
                ready = _wait(sock, select.POLLOUT | select.POLLIN, deadline, "send", timeout)
                if ready & (select.POLLIN | select.POLLHUP | select.POLLERR) and not self._ended:
                    self._drain()
                continue
            except OSError as error:
                raise self._failure(error, "send") from None
            view = view[sent:]

    def _drain(self) -> None:
        """Reads what has arrived into the inbox (a server answering the first requests of a long pipeline)."""
        try:
            chunk = self._sock.recv(_RECEIVE_BYTES)
        except (BlockingIOError, ssl.SSLWantReadError, ssl.SSLWantWriteError):
            return
        except ssl.SSLZeroReturnError:
            chunk = b""
        except OSError as error:
            raise self._failure(error, "send") from None
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
        if self._tls:
            return self._receive_tls(timeout)
        sock = self._sock
        poller = self._poller
        # The first slice of the wait does not look at PostgreSQL's interrupt flags first: nearly every reply comes
        # within it, for one poll() in all. A longer wait looks at them before each further slice, so an interrupt
        # still stops a wait within INTERRUPT_CHECK_SECONDS.
        first = min(timeout, INTERRUPT_CHECK_SECONDS)
        deadline = 0.0
        while True:
            if deadline != 0.0 or not poller.poll(first * 1000):
                if deadline == 0.0:
                    deadline = time.monotonic() + timeout - first
                _wait_with(poller, deadline, "receive", timeout)
            try:
                chunk = sock.recv(_RECEIVE_BYTES)
            except BlockingIOError:
                continue
            except OSError as error:
                raise self._failure(error, "receive") from None
            if not chunk:
                self._ended = True
            return chunk

    def _receive_tls(self, timeout: float) -> bytes:
        """receive() over TLS: recv comes first, so bytes OpenSSL already decrypted (pending()) are taken before any
        poll, which sees only the socket's undecrypted bytes."""
        sock = self._sock
        deadline = 0.0
        while True:
            try:
                chunk = sock.recv(_RECEIVE_BYTES)
            except (BlockingIOError, ssl.SSLWantReadError, ssl.SSLWantWriteError) as error:
                if deadline == 0.0:
                    deadline = time.monotonic() + timeout
                events = select.POLLOUT if isinstance(error, ssl.SSLWantWriteError) else select.POLLIN
                _wait(sock, events, deadline, "receive", timeout)
                continue
            except ssl.SSLZeroReturnError:
                chunk = b""
            except OSError as error:
                raise self._failure(error, "receive") from None
            if not chunk:
                self._ended = True
            return chunk

    def is_stale(self) -> bool:
        """Whether an idle connection can no longer be used: closed or reset by the server, or holding unasked bytes."""
        if self._ended or self._inbox:
            return True
        sock = self._sock
        if isinstance(sock, ssl.SSLSocket):
            return self._tls_is_stale(sock)
        # Readable while idle: bytes nobody asked for, the server's close (a recv would return b''), or an error.
        return bool(self._poller.poll(0))

    def _tls_is_stale(self, sock: ssl.SSLSocket) -> bool:
        """TLS cannot peek: records that arrived are read, and only TLS's own (a session ticket) leave it usable."""
        if sock.pending() > 0:
            return True
        if not self._poller.poll(0):
            return False
        try:
            chunk = sock.recv(_RECEIVE_BYTES)
        except ssl.SSLWantReadError:
            return False
        except OSError:
            return True
        if chunk:
            self._inbox.append(chunk)
        else:
            self._ended = True
        return True

    def close(self) -> None:
        self._ended = True
        self._sock.close()


def pause(seconds: float) -> None:
    """Waits ``seconds`` before asking a server again; an interrupt PostgreSQL acts on ends it with SocketError."""
    deadline = time.monotonic() + seconds
    while True:
        interrupt = pending_interrupt()
        if interrupt is not None:
            raise SocketError("interrupted", f"pause interrupted: {interrupt}")
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return
        time.sleep(min(remaining, INTERRUPT_CHECK_SECONDS))


class Spool:
    """Bytes kept in a temporary file and read back in order (src/ports/socket.ts explains why a listing needs one).

    The file is unnamed (removed when made); close() frees it. Failures of the disk are SocketError 'other'.
    """

    def __init__(self) -> None:
        try:
            self._file = tempfile.TemporaryFile(prefix="pymcache_fdw-spool-")
        except OSError as error:
            raise _spool_failure("creating", error) from None
        self._reading = False

    def write(self, data: bytes) -> None:
        try:
            self._file.write(data)
        except OSError as error:
            raise _spool_failure("writing", error) from None

    def read(self, size: int) -> bytes:
        try:
            if not self._reading:
                self._reading = True
                self._file.flush()
                self._file.seek(0)
            return self._file.read(size)
        except OSError as error:
            raise _spool_failure("reading", error) from None

    def close(self) -> None:
        self._file.close()


def _spool_failure(doing: str, error: OSError) -> SocketError:
    name = errno.errorcode.get(error.errno, "unknown error") if error.errno is not None else "unknown error"
    return SocketError("other", f"{doing} the temporary file of a listing failed: {name}")


def open_spool() -> Spool:
    """A new, empty spool in the system's temporary directory."""
    return Spool()
