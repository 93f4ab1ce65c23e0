"""Python side of the protocol tests: the emitted ReplyReader driven over chunks exactly as protocol-adapter.ts drives
the TypeScript one (see there), outcomes as plain data that the differential driver encodes."""
import re

from pymcache_fdw.memcache import requests
from pymcache_fdw.memcache.protocol import ErrorReply, ProtocolError, ReplyError, ReplyReader

_READS = {
    "values": ReplyReader.read_values,
    "stored": ReplyReader.read_stored,
    "deleted": ReplyReader.read_deleted,
    "touched": ReplyReader.read_touched,
    "counter": ReplyReader.read_counter,
    "stats": ReplyReader.read_stats,
    "version": ReplyReader.read_version,
    "meta": ReplyReader.read_meta,
    "metadump": ReplyReader.read_metadump,
}


def _camel_case(name):
    return re.sub(r"_([a-z0-9])", lambda match: match.group(1).upper(), name)


def _snake_case(name):
    return re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name).lower()


def ts_names(record):
    """A record (a TypedDict: snake_case keys in Python) with the property names of its TypeScript interface."""
    return {_camel_case(key): value for key, value in record.items()} if isinstance(record, dict) else record


def python_names(record):
    """A TypeScript options object as the emitted code takes it: a TypedDict with snake_case keys."""
    return {_snake_case(key): value for key, value in record.items()}


def encode_meta_get(key, options):
    return requests.encode_meta_get(key, python_names(options))


def encode_meta_set(key, value, options):
    return requests.encode_meta_set(key, value, python_names(options))


def encode_meta_delete(key, options):
    return requests.encode_meta_delete(key, python_names(options))


def encode_meta_arithmetic(key, options):
    return requests.encode_meta_arithmetic(key, python_names(options))


def error_outcome(error):
    if isinstance(error, ErrorReply):
        attributes = {"kind": error.kind, "knownText": error.known_text, "textLength": error.text_length}
    elif isinstance(error, ProtocolError):
        attributes = {"expected": error.expected, "problem": error.problem}
    else:
        attributes = {}
    return {"error": type(error).__name__, "message": str(error), "attributes": attributes}


def read_replies(chunks, kinds, max_value_length=None):
    reader = ReplyReader(max_value_length)
    outcomes = []
    next_chunk = 0
    unfed = sum(len(chunk) for chunk in chunks)
    for kind in kinds:
        read = _READS[kind]
        while True:
            try:
                result = read(reader)
            except ReplyError as error:
                outcomes.append(error_outcome(error))
                if isinstance(error, ProtocolError):
                    return outcomes
                break
            if result is None:
                if next_chunk == len(chunks):
                    outcomes.append({"needMore": reader.buffered_length})
                    return outcomes
                unfed -= len(chunks[next_chunk])
                reader.feed(chunks[next_chunk])
                next_chunk += 1
                continue
            outcomes.append(ts_names(result))
            if kind != "metadump" or isinstance(result, str):
                break
    outcomes.append({"left": reader.buffered_length + unfed})
    return outcomes


def read_at_every_split(data, kinds):
    whole = read_replies([data], kinds)
    differing = []
    for at in range(1, len(data)):
        if len(differing) == 5:
            break
        if read_replies([data[:at], data[at:]], kinds) != whole:
            differing.append(at)
    byte_by_byte = read_replies([data[i:i + 1] for i in range(len(data))], kinds)
    return [whole, differing, byte_by_byte == whole]
