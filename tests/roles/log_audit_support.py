"""Helpers of the log audit lab tests: a numbered-record generator run inside forwarding hosts,
a per-host sequence count run inside an audit server, and throwaway rsyslog probe instances
that try to deliver with other certificates or without TLS."""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass
from pathlib import Path

from mlps.lab import Lab

ROOT = "/var/log/mlps-audit"
SEQ_DIR = "/var/log/mlps-seq"
RELP_PORT = 2514

# Appends "run=<id> seq=<n>" lines to a file that the forwarder reads with imfile, paced at
# <rate> lines per second for <seconds> seconds; the last line written is in <file>.done.
GENERATOR = r"""
import sys, time
run, rate, seconds, path = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
total = int(rate * seconds)
start = time.monotonic()
with open(path, "a", buffering=1) as out:
    for n in range(1, total + 1):
        out.write(f"run={run} seq={n}\n")
        ahead = start + n / rate - time.monotonic()
        if ahead > 0:
            time.sleep(ahead)
with open(path + ".done", "w") as done:
    done.write(str(total))
"""

# Counts the sequence numbers of one run per host directory of the store: records, distinct
# numbers, numbers missing from 1..expected, and records delivered more than once.
COUNTER = r"""
import collections, glob, json, os, re, sys
root, run, expected = sys.argv[1], sys.argv[2], int(sys.argv[3])
pattern = re.compile(r"run=" + re.escape(run) + r" seq=(\d+)$")
out = {}
for host_dir in sorted(glob.glob(os.path.join(root, "*"))):
    seen = collections.Counter()
    for path in glob.glob(os.path.join(host_dir, "*.log")):
        with open(path, errors="replace") as handle:
            for line in handle:
                match = pattern.search(line.rstrip("\n"))
                if match:
                    seen[int(match.group(1))] += 1
    if seen:
        missing = [n for n in range(1, expected + 1) if n not in seen]
        out[os.path.basename(host_dir)] = {
            "records": sum(seen.values()), "distinct": len(seen),
            "missing": len(missing), "first_missing": missing[:5],
            "duplicates": sum(seen.values()) - len(seen)}
print(json.dumps(out))
"""


@dataclass(frozen=True)
class Count:
    """What one audit server holds of one run, for one forwarding host."""

    records: int
    distinct: int
    missing: int
    duplicates: int
    first_missing: list[int]


def start_generator(lab: Lab, host: str, run: str, rate: int, seconds: float) -> None:
    """Start the generator as a transient unit in ``host`` (it outlives the exec session)."""
    lab.run(host, f"mkdir -p {SEQ_DIR} && cat > /usr/local/bin/mlps-seqgen", input=GENERATOR)
    path = f"{SEQ_DIR}/{run}.log"
    lab.run(host, f"systemd-run --unit mlps-seqgen-{run} python3 /usr/local/bin/mlps-seqgen "
                  f"{run} {rate} {seconds} {path}")


def generator_done(lab: Lab, host: str, run: str) -> bool:
    return lab.run(host, f"test -f {SEQ_DIR}/{run}.log.done", check=False).returncode == 0


def count(lab: Lab, server: str, run: str, expected: int) -> dict[str, Count]:
    """Per forwarding host, what ``server`` stored of ``run``."""
    lab.run(server, "cat > /usr/local/bin/mlps-seqcount", input=COUNTER)
    out = lab.run(server, f"python3 /usr/local/bin/mlps-seqcount {ROOT} {run} {expected}").stdout
    return {host: Count(**values) for host, values in json.loads(out).items()}


@dataclass(frozen=True)
class ProbeCert:
    """Certificate files (on the controller) a probe presents, and the name it expects."""

    ca: Path
    cert: Path
    key: Path


def probe(lab: Lab, host: str, case: str, target: str, cert: ProbeCert | None,
          server_name: str, wait: float = 6.0, claimed_host: str | None = None) -> None:
    """Run a second rsyslogd in ``host`` that sends one record, host name ``claimed_host`` (by
    default ``probe-<case>``), to ``target`` over RELP (with TLS and ``cert`` unless None),
    waits, then stops."""
    work = f"/tmp/mlps-probe-{case}"
    lab.run(host, f"rm -rf {work} && mkdir -p {work}")
    tls = ""
    if cert is not None:
        for name, src in (("ca.pem", cert.ca), ("host.pem", cert.cert), ("host.key", cert.key)):
            lab.run(host, f"umask 077 && cat > {work}/{name}", input=src.read_text())
        tls = (f'tls="on" tls.cacert="{work}/ca.pem" tls.mycert="{work}/host.pem" '
               f'tls.myprivkey="{work}/host.key" tls.authmode="name" '
               f'tls.permittedpeer=["{server_name}"]')
    conf = f"""
global(workDirectory="{work}")
module(load="imptcp")
module(load="omrelp" tls.tlslib="openssl")
input(type="imptcp" address="127.0.0.1" port="10514")
action(type="omrelp" target="{target}" port="{RELP_PORT}" {tls} action.resumeRetryCount="-1")
"""
    lab.run(host, f"cat > {work}/rsyslog.conf", input=conf)
    name = claimed_host or f"probe-{case}"
    record = f"<13>1 2026-01-01T00:00:00.000001Z {name} mlps-probe - - - probe case={case}\n"
    script = (
        f"rsyslogd -n -f {work}/rsyslog.conf -i {work}/pid >{work}/out 2>&1 & "
        f"sleep 1; printf %s {shlex.quote(record)} > /dev/tcp/127.0.0.1/10514; "
        f"sleep {wait}; kill $(cat {work}/pid); sleep 0.5"
    )
    lab.run(host, f"bash -c {shlex.quote(script)}", timeout=wait + 30)


def stored_probe(lab: Lab, server: str, case: str) -> bool:
    """Did ``server`` store the probe record of ``case``?"""
    return bool(probe_files(lab, server, case))


def probe_files(lab: Lab, server: str, case: str) -> dict[str, list[str]]:
    """Where ``server`` stored the probe record of ``case``: file (relative to the store) ->
    the stored lines."""
    found = lab.run(server, f"grep -rs 'probe case={case}$' {ROOT}", check=False)
    out: dict[str, list[str]] = {}
    for line in found.stdout.splitlines():
        path, _, text = line.partition(":")
        out.setdefault(path.removeprefix(ROOT + "/"), []).append(text)
    return out
