"""Python side of the client tests in test/protocol (parallel-servers, nodelay, served-garbage): runs one request per
JSON line through the emitted pymcache_fdw (ServerPool, flush_writes, the socket port) and prints its outcome as one
JSON line. Values travel as latin-1 text.

  {"op": "read", "options": {...table options...}, "keys": [...]}
      -> {"rows": {key: value}} or {"error": {"class", "message", "hint"}}   (ServerPool.read_through, nothing pending)
  {"op": "flush", "options": {...}, "items": {key: value}}
      -> {"flushed": true} or {"error": ...}                                  (flush_writes of one set per key)
  {"op": "nodelay", "host", "port"}
      -> {"port": n, "connection": n, "plain": n}   TCP_NODELAY of a socket open_socket opened, of the socket a read
                                        through ServerPool left open on its connection, and of a plain socket.socket

Every read and flush starts on new connections (close_all_connections first), as in the Node tests.
"""
import json
import socket
import sys

from multicorn.utils import MulticornException

from pymcache_fdw._socket import open_socket
from pymcache_fdw.memcache.connection import close_all_connections, connection_to, plain_connection
from pymcache_fdw.server_pool import ServerPool
from pymcache_fdw.table_options import parse_server_set
from pymcache_fdw.transaction import FlushFailed, flush_writes
from pymcache_fdw.write_set import PendingWrite, WriteSet


def error_of(error):
    return {"error": {"class": type(error).__name__, "message": getattr(error, "message", str(error)),
                      "hint": getattr(error, "hint", None)}}


def read(request):
    pool = ServerPool(parse_server_set(request["options"], True), "")
    try:
        found = pool.read_through(WriteSet(), request["keys"])
    except (MulticornException, FlushFailed) as error:
        return error_of(error)
    return {"rows": {key: item["value"].decode("latin-1") for key, item in found.items()}}


def flush(request):
    pool = ServerPool(parse_server_set(request["options"], True), "")
    writes = []
    for key, value in request["items"].items():
        item = {"value": value.encode("latin-1"), "flags": 0, "cas": None, "facts": None}
        writes.append(PendingWrite({"kind": "set", "key": key, "item": item, "expire": 0}, pool.store_for(key)))
    try:
        flush_writes(writes, "the transaction's writes", {}, "")
    except (MulticornException, FlushFailed) as error:
        return error_of(error)
    return {"flushed": True}


def nodelay(request):
    host, port = request["host"], request["port"]
    opened = open_socket(host, port, connect_timeout=2.0)
    of_port = opened._sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
    opened.close()
    options = {"host": host, "port": str(port)}
    ServerPool(parse_server_set(options, True), "").read_through(WriteSet(), ["nodelay-probe"])
    connection = connection_to(host, port, plain_connection())
    of_connection = connection._socket._sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
    # The probe itself: a socket nobody set the option on reads 0.
    plain = socket.create_connection((host, port), timeout=2.0)
    of_plain = plain.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
    plain.close()
    return {"port": of_port, "connection": of_connection, "plain": of_plain}


HANDLERS = {"read": read, "flush": flush, "nodelay": nodelay}

for line in sys.stdin:
    request = json.loads(line)
    close_all_connections()
    print(json.dumps(HANDLERS[request["op"]](request)), flush=True)
