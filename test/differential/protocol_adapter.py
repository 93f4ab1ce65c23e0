"""Python side of the protocol tests: the emitted ReplyReader driven over chunks exactly as protocol-adapter.ts drives
the TypeScript one (see there), outcomes as plain data that the differential driver encodes."""
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
            outcomes.append(result)
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
