"""Python side of the differential harness (test/rig/differential.ts).

Reads JSON lines from stdin, one call each: {"module": "pymcache_fdw.keys", "function": "validate_key", "args": [...]}.
Writes one JSON line per call: {"ok": <value>} or {"error": {"class": ..., "message": ..., "attributes": {...}}}.
Encodings (both directions): integers beyond 2^53 as {"$int": digits} (output: every int); bytes as {"$bytes": hex}; floats as {"$float": repr} (so 2.0 stays a float); dicts as
{"$dict": [[key, value], ...]} (keys need not be strings, order kept); tuples and lists as JSON arrays (tuples are
tagged {"$tuple": [...]} in output); sets as {"$set": [...]}. Output is ASCII-only JSON so lone surrogates survive.
"""
import importlib
import json
import re
import sys
import traceback


def decode(value):
    if isinstance(value, list):
        return [decode(item) for item in value]
    if isinstance(value, dict):
        if "$bytes" in value:
            return bytes.fromhex(value["$bytes"])
        if "$float" in value:
            return float(value["$float"])
        if "$int" in value:
            return int(value["$int"])
        if "$dict" in value:
            return {decode(key): decode(item) for key, item in value["$dict"]}
        if "$tuple" in value:
            return tuple(decode(item) for item in value["$tuple"])
        raise ValueError("driver: unknown tagged argument %r" % (sorted(value),))
    return value


def encode(value):
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return {"$int": str(value)}
    if isinstance(value, float):
        return {"$float": repr(value)}
    if isinstance(value, (bytes, bytearray)):
        return {"$bytes": bytes(value).hex()}
    if isinstance(value, list):
        return [encode(item) for item in value]
    if isinstance(value, tuple):
        return {"$tuple": [encode(item) for item in value]}
    if isinstance(value, dict):
        return {"$dict": [[encode(key), encode(item)] for key, item in value.items()]}
    if isinstance(value, (set, frozenset)):
        return {"$set": [encode(item) for item in value]}
    return {"$object": type(value).__name__, "fields": encode(dict(vars(value)))}


def camel_case(name):
    return re.sub(r"_([a-z0-9])", lambda match: match.group(1).upper(), name)


def encode_error(error):
    attributes = {camel_case(key): encode(item) for key, item in vars(error).items() if not key.startswith("_")}
    return {"class": type(error).__name__, "message": str(error), "attributes": attributes}


def main():
    modules = {}
    for line in sys.stdin:
        if not line.strip():
            continue
        request = json.loads(line)
        module_name = request["module"]
        try:
            if module_name not in modules:
                modules[module_name] = importlib.import_module(module_name)
            function = getattr(modules[module_name], request["function"])
        except Exception as error:  # a harness problem, not an outcome to compare
            sys.stdout.write(json.dumps({"fatal": "cannot load %s.%s: %s: %s" % (
                module_name, request["function"], type(error).__name__, error)}) + "\n")
            sys.stdout.flush()
            return 3
        try:
            outcome = {"ok": encode(function(*decode(request["args"])))}
        except Exception as error:
            outcome = {"error": encode_error(error)}
        try:
            text = json.dumps(outcome, ensure_ascii=True)
        except Exception:
            text = json.dumps({"fatal": "cannot encode the outcome: " + traceback.format_exc()})
        sys.stdout.write(text + "\n")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
