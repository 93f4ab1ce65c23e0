"""Runs a scenario of pymemcache 3.5.2 Client calls and prints one JSON outcome per call (test/memcache).

stdin: {"server": [host, port], "options": {snake_case constructor kwargs}, "ops": [{"method": ..., "args": [...]}]}.
An argument {"$ref": i, "index": k} is element k of the raw result of call i (a cas token from an earlier gets).
Arguments and results use the differential driver's encoding (test/rig/differential_driver.py). OSError (socket
errors and timeouts) is reported as class "TransportError" with an empty message, as the Node client's name for it.
"""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "rig"))

from differential_driver import decode, encode, encode_error  # noqa: E402
from pymemcache.client.base import Client  # noqa: E402


def resolve(arg, raw_results):
    if isinstance(arg, dict) and "$ref" in arg:
        return raw_results[arg["$ref"]][arg["index"]]
    return decode(arg)


def main():
    scenario = json.loads(sys.stdin.read())
    client = Client(tuple(scenario["server"]), **decode(scenario["options"]))
    raw_results = []
    outcomes = []
    for op in scenario["ops"]:
        args = [resolve(arg, raw_results) for arg in op["args"]]
        try:
            result = getattr(client, op["method"])(*args)
            raw_results.append(result)
            outcomes.append({"ok": encode(result)})
        except OSError:
            raw_results.append(None)
            outcomes.append({"error": {"class": "TransportError", "message": "", "attributes": {}}})
        except Exception as error:
            raw_results.append(None)
            outcomes.append({"error": encode_error(error)})
    client.close()
    sys.stdout.write(json.dumps(outcomes, ensure_ascii=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
