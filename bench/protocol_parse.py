"""Python side of bench/protocol-parse.ts: the emitted ReplyReader parsing a get reply of 1,000 values of 100 bytes.

    protocol_parse.py timeit           medians of timeit runs (ms per reply), as JSON
    protocol_parse.py repeat N CASE    parse the reply N times (for callgrind: instructions per parse by difference)

CASE is one of the cases below. For comparison the same reply is read by pymemcache 3.5's Client.get_many (over a
fake socket answering in 4 KB recv()s, as on a real one) and by a minimal hand-written loop (find, split, int, slice:
the least a strict-enough parser does).
"""
import json
import sys
import timeit

from pymcache_fdw.memcache.protocol import ReplyReader

VALUES = 1000
VALUE_SIZE = 100
CHUNK = 64 * 1024

KEYS = [b"key:%06d" % i for i in range(VALUES)]
REPLY = b"".join(b"VALUE %s 0 %d\r\n%s\r\n" % (key, VALUE_SIZE, bytes([i % 256]) * VALUE_SIZE) for i, key in enumerate(KEYS)) + b"END\r\n"
CHUNKS = [REPLY[i:i + CHUNK] for i in range(0, len(REPLY), CHUNK)]


def one_buffer():
    reader = ReplyReader()
    reader.feed(REPLY)
    return reader.read_values()


def in_chunks():
    reader = ReplyReader()
    values = None
    for chunk in CHUNKS:
        reader.feed(chunk)
        values = reader.read_values()
    return values


def hand_written_floor():
    values = []
    position = 0
    find = REPLY.find
    while True:
        line_end = find(b"\r\n", position)
        if not REPLY.startswith(b"VALUE ", position):
            return values
        fields = REPLY[position + 6:line_end].split(b" ")
        data_start = line_end + 2
        data_end = data_start + int(fields[2])
        values.append((fields[0], int(fields[1]), REPLY[data_start:data_end], None))
        position = data_end + 2


class FakeSocket:
    """What pymemcache needs of a socket: sendall, recv of at most the size asked, settimeout, close."""

    def __init__(self, data):
        self.data = data
        self.position = 0

    def sendall(self, _data):
        self.position = 0

    def recv(self, size):
        chunk = self.data[self.position:self.position + size]
        self.position += len(chunk)
        return chunk

    def settimeout(self, _timeout):
        pass

    def close(self):
        pass


def pymemcache_client():
    from pymemcache.client.base import Client

    client = Client(("127.0.0.1", 1), allow_unicode_keys=True)
    client.sock = FakeSocket(REPLY)
    return client


CASES = {"one buffer": one_buffer, "64 KB chunks": in_chunks, "hand-written floor": hand_written_floor}


def check():
    expected = hand_written_floor()
    for name, parse in CASES.items():
        values = parse()
        assert len(values) == VALUES and values == expected, name
    client = pymemcache_client()
    assert len(client.get_many(KEYS)) == VALUES


def timings():
    client = pymemcache_client()
    cases = dict(CASES)
    cases["pymemcache get_many (4 KB recv)"] = lambda: client.get_many(KEYS)
    result = {}
    for name, parse in cases.items():
        runs = sorted(timeit.repeat(parse, number=50, repeat=21))
        result[name] = runs[len(runs) // 2] / 50 * 1000
    return result


def main():
    check()
    if sys.argv[1] == "timeit":
        json.dump({"reply_bytes": len(REPLY), "chunks": len(CHUNKS), "ms": timings()}, sys.stdout)
    elif sys.argv[1] == "repeat":
        parse = CASES[sys.argv[3]]
        for _ in range(int(sys.argv[2])):
            parse()
    return 0


if __name__ == "__main__":
    sys.exit(main())
