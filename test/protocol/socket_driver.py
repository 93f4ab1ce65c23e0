"""Python side of test/protocol/socket-port.test.ts: runs one socket-port scenario per JSON line with the Python
binding (pymcache_fdw._socket) and prints its outcome as one JSON line, in the same shape as the Node side."""
import json
import sys
import time

from pymcache_fdw._socket import SocketError, open_socket


def run(scenario):
    host, port = scenario["host"], scenario["port"]
    steps = []
    try:
        tls = scenario.get("tls")
        keywords = {} if tls is None else {
            "tls": tls["tls"], "tls_ca_file": tls["tlsCaFile"], "tls_cert_file": tls["tlsCertFile"], "tls_key_file": tls["tlsKeyFile"],
        }
        sock = open_socket(host, port, connect_timeout=scenario["connectTimeout"], **keywords)
        for action in scenario["actions"]:
            kind = action[0]
            if kind == "send":
                sock.send_all(action[1].encode("latin-1") * action[2], scenario["timeout"])
                steps.append(["sent"])
            elif kind == "receiveUntil":
                received = b""
                while not received.endswith(action[1].encode("latin-1")):
                    chunk = sock.receive(scenario["timeout"])
                    if not chunk:
                        steps.append(["eof", len(received)])
                        break
                    received += chunk
                else:
                    steps.append(["received", len(received), received[:40].decode("latin-1")])
            elif kind == "receiveBytes":
                received = b""
                while len(received) < action[1]:
                    received += sock.receive(scenario["timeout"])
                steps.append(["received", len(received), received[:40].decode("latin-1")])
            elif kind == "sleep":
                time.sleep(action[1] / 1000)
                steps.append(["slept"])
            elif kind == "receive":
                chunk = sock.receive(scenario["timeout"])
                steps.append(["received", len(chunk), chunk[:40].decode("latin-1")])
            elif kind == "stale":
                steps.append(["stale", sock.is_stale()])
            elif kind == "close":
                sock.close()
                steps.append(["closed"])
    except SocketError as error:
        steps.append(["error", error.failure, str(error)])
    return steps


for line in sys.stdin:
    print(json.dumps(run(json.loads(line))), flush=True)
