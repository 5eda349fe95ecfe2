"""Rulesets loaded by the real nft into throwaway network namespaces: the listing verify reads,
and whether a TCP connection from 10.5.0.1 reaches a port of 10.5.0.2 behind the ruleset, or
leaves 10.5.0.2 for 10.5.0.1 (the attacks that decide whether verify was right). Needs root, nft,
unshare, nsenter and ip."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

ATTACKER, TARGET = "10.5.0.1", "10.5.0.2"
needs_namespaces = pytest.mark.skipif(
    os.geteuid() != 0 or not all(shutil.which(t) for t in ("nft", "unshare", "nsenter", "ip")),
    reason="loading rulesets into a network namespace needs root, nft, unshare, nsenter and ip")


def listed(tmp_path: Path, text: str, table: str) -> dict[str, Any]:
    """``nft -j list table inet <table>`` after loading ``text`` in a fresh namespace."""
    path = tmp_path / "rules.nft"
    path.write_text(text)
    proc = subprocess.run(
        ["unshare", "-n", "sh", "-c", f"nft -f {path} && nft -j list table inet {table}"],
        capture_output=True, text=True, timeout=30, check=True)
    return dict(json.loads(proc.stdout))


_ATTACK = r"""
set -e
ip link set lo up
ip link add va type veth peer name vb
unshare -n sleep 30 & peer=$!
sleep 0.2
ip link set vb netns $peer
ip addr add $ATTACKER/24 dev va
ip link set va up
nsenter -t $peer -n sh -c "ip link set lo up; ip addr add $TARGET/24 dev vb; ip link set vb up"
nsenter -t $peer -n nft -f "$RULES" || exit 3
if [ "$DIRECTION" = in ]; then srv="nsenter -t $peer -n"; cli=""; to=$TARGET
else srv=""; cli="nsenter -t $peer -n"; to=$ATTACKER; fi
$srv python3 -c "
import socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('$to', $PORT)); s.listen(); s.settimeout(5)
try: s.accept()
except OSError: pass
" & listener=$!
sleep 0.3
set +e
$cli python3 -c "
import socket, sys
try: socket.create_connection(('$to', $PORT), timeout=2)
except OSError: sys.exit(1)
"
rc=$?
kill $peer $listener 2>/dev/null
wait 2>/dev/null
exit $rc
"""


def _connects(tmp_path: Path, text: str, port: int, direction: str) -> bool:
    path = tmp_path / "attack.nft"
    path.write_text(text)
    env = {**os.environ, "RULES": str(path), "PORT": str(port), "ATTACKER": ATTACKER, "TARGET": TARGET,
           "DIRECTION": direction}
    proc = subprocess.run(["unshare", "-n", "bash", "-c", _ATTACK], env=env,
                          capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode in (0, 1), f"rc {proc.returncode}: {proc.stderr}"  # 3: nft refused the ruleset
    return proc.returncode == 0


def gets_in(tmp_path: Path, text: str, port: int) -> bool:
    """Whether a TCP connection from ATTACKER reaches ``port`` of TARGET, a namespace holding
    ``text`` (both namespaces die with the script)."""
    return _connects(tmp_path, text, port, "in")


def gets_out(tmp_path: Path, text: str, port: int) -> bool:
    """Whether TARGET, a namespace holding ``text``, opens a TCP connection to ``port`` of
    ATTACKER (an address its rules are not meant to name)."""
    return _connects(tmp_path, text, port, "out")
