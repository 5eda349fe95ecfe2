"""Attacks on a SeaweedFS store's internal APIs, standard library only.

Sent as source to ``python3 -`` on a lab host (as any account) or in the lab namespace, with a
JSON list of attacks as its argument; prints one JSON result per attack, each with
``refused``: whether the store turned it away (no connection, 401/403, no HTTP/2 answer).
"""

from __future__ import annotations

import json
import socket
import ssl
import sys
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from typing import Any

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + b"\x00\x00\x00\x04\x00\x00\x00\x00\x00"
REFUSED_STATUS = (401, 403)


def http(method: str, url: str, body: bytes | None = None,
         headers: dict[str, str] | None = None) -> dict[str, Any]:
    """One HTTP request: its status and the start of its body, or the connection error."""
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as reply:
            return {"status": reply.status, "body": reply.read(400).decode(errors="replace")}
    except urllib.error.HTTPError as exc:
        return {"status": exc.code, "body": exc.read(400).decode(errors="replace")}
    except (urllib.error.URLError, OSError) as exc:
        return {"error": str(getattr(exc, "reason", exc))}


def refused(result: dict[str, Any]) -> bool:
    return "error" in result or result.get("status") in REFUSED_STATUS


def assign_then_write(master: str) -> dict[str, Any]:
    """Ask the master for a file id and a write token, then write a blob with them."""
    assign = http("GET", f"http://{master}/dir/assign")
    if refused(assign) or assign.get("status") != 200:
        return {"refused": True, "assign": assign}
    grant = json.loads(assign["body"])
    boundary = "mlpsboundary"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"x\"\r\n"
            f"Content-Type: application/octet-stream\r\n\r\nforged\r\n--{boundary}--\r\n").encode()
    headers = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
    if grant.get("auth"):
        headers["Authorization"] = f"BEARER {grant['auth']}"
    write = http("POST", f"http://{grant['url']}/{grant['fid']}", body, headers)
    return {"refused": refused(write), "assign": assign, "write": write}


def grpc(address: str, tls: bool) -> dict[str, Any]:
    """Open a gRPC port without a client certificate; refused unless HTTP/2 answers."""
    host, port = address.rsplit(":", 1)
    try:
        sock = socket.create_connection((host, int(port)), timeout=5)
    except OSError as exc:
        return {"refused": True, "answer": "connect: " + str(exc)}
    try:
        if tls:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE  # an attacker does not care who the server is
            ctx.set_alpn_protocols(["h2"])
            sock = ctx.wrap_socket(sock)
        sock.sendall(PREFACE)
        head = sock.recv(9)
        answer = head.hex() if head else "closed"
        return {"refused": not (len(head) >= 4 and head[3] == 4), "answer": answer}
    except OSError as exc:
        return {"refused": True, "answer": type(exc).__name__ + ": " + str(exc)}
    finally:
        sock.close()


def attack(plan: dict[str, Any]) -> dict[str, Any]:
    kind = plan["kind"]
    if kind == "http":
        result = http(plan["method"], plan["url"])
        return {**plan, **result, "refused": refused(result)}
    if kind == "assign_then_write":
        return {**plan, **assign_then_write(plan["master"])}
    return {**plan, **grpc(plan["address"], plan["tls"])}


if __name__ == "__main__":
    with ThreadPoolExecutor(max_workers=16) as pool:  # dropped packets cost a timeout each
        for result in pool.map(attack, json.loads(sys.argv[1])):
            print(json.dumps(result), flush=True)
