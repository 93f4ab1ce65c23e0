"""pymemcache's HashClient (Debian's python3-pymemcache 3.5.2, default RendezvousHash), driven by the interop tests.

usage: /usr/bin/python3 pymemcache-hashclient.py place|write|read SERVERS_JSON [tolerate-down] < keys (one per line, UTF-8)
  SERVERS_JSON: [[host, port, weight], ...] in the application's order; HashClient has no weights (must be 1).
  place: prints the position of the server HashClient picks for each key (its hasher's get_node).
  write: sets every key to "value:<key>" (waiting for each reply); prints "stored N".
  read:  get_many of all keys; prints "HIT <value>" or "MISS" per key, in input order.
  tolerate-down: a listed server may be down: ignore_exc=True and retry_attempts=0, so HashClient drops a server
  at its first connection failure and rehashes; a set that failed on it is repeated once (as the application's next
  request would be), then lands on the server that now wins.
Keys are str (allow_unicode_keys=True), as an application passing text keys does.
"""
import json
import sys

from pymemcache.client.hash import HashClient


def main():
    command, servers_json = sys.argv[1], sys.argv[2]
    tolerate_down = sys.argv[3:] == ["tolerate-down"]
    servers = json.loads(servers_json)
    if any(weight != 1 for _host, _port, weight in servers):
        sys.exit("pymemcache's HashClient has no weights")
    addresses = [(host, port) for host, port, _weight in servers]
    if tolerate_down:
        client = HashClient(addresses, allow_unicode_keys=True, default_noreply=False, ignore_exc=True, retry_attempts=0)
    else:
        client = HashClient(addresses, allow_unicode_keys=True, default_noreply=False)
    keys = sys.stdin.buffer.read().decode("utf-8").split("\n")[:-1]
    out = []
    if command == "place":
        position_of = {client._make_client_key(address): position for position, address in enumerate(addresses)}
        for key in keys:
            out.append(str(position_of[client.hasher.get_node(key)]))
    elif command == "write":
        for key in keys:
            value = ("value:" + key).encode("utf-8")
            stored = client.set(key, value, noreply=False)
            if not stored and tolerate_down:
                stored = client.set(key, value, noreply=False)
            if not stored:
                sys.exit("HashClient could not set key %r" % key)
        out.append("stored %d" % len(keys))
    elif command == "read":
        found = client.get_many(keys)
        for key in keys:
            out.append("HIT " + found[key].decode("utf-8") if key in found else "MISS")
    else:
        sys.exit("unknown command %s" % command)
    sys.stdout.buffer.write(("\n".join(out) + "\n").encode("utf-8"))


main()
