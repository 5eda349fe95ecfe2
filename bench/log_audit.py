"""Central log auditing throughput on lab hosts (`python -m bench.log_audit`).

Three forwarding hosts built by roles/log_forwarder send to one audit server built by
roles/log_audit_server. Measured in one run:
1. end-to-end records/s, every host writing a burst into a file the forwarder reads, until the
   server's files hold all of them: through the roles' RELP/TLS pipeline, then through the same
   pipeline (same queue settings, same store) without TLS, and the ratio;
2. the time to drain a 30 s backlog: the server is stopped while the hosts write at a fixed rate
   for 30 s, then started; time until the last record is stored.
Both paths send a few records first, so that no timed burst waits for a session to reconnect.
"""

from __future__ import annotations

import argparse
import json
import re
import tempfile
import time
from pathlib import Path

from mlps.ansible_run import run_playbook
from mlps.lab import Lab
from mlps.pki import environment_pki

REPO = Path(__file__).resolve().parent.parent
TOPOLOGY = REPO / "tests" / "roles" / "topologies" / "log-audit.yml"
PLAYBOOK = REPO / "tests" / "roles" / "playbooks" / "log-audit.yml"
SERVER, HOSTS = "audit1", ["fw1", "fw2", "fw3"]
ROOT = "/var/log/mlps-audit"
SRC = "/var/log/mlps-bench"
PLAIN_PORT = 2515

WRITER = r"""
import sys, time
path, tag, count, rate = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
start = time.monotonic()
with open(path, "a") as out:
    for n in range(1, count + 1):
        out.write(f"bench={tag} seq={n} " + "x" * 60 + "\n")
        if rate and n % 100 == 0:
            out.flush()
            ahead = start + n / rate - time.monotonic()
            if ahead > 0:
                time.sleep(ahead)
"""


def plain_variant(lab: Lab) -> None:
    """Add the same pipeline without TLS: a plain RELP input into the role's store ruleset on
    the server, and on each host a copy of the role's omrelp action, TLS removed, behind its
    own file input."""
    server_conf = (f'input(type="imrelp" name="bench_plain" port="{PLAIN_PORT}" '
                   'ruleset="mlps_audit_store" maxDataSize="256k")\n')
    lab.run(SERVER, "cat > /etc/rsyslog.d/90-bench-plain.conf", input=server_conf)
    lab.run(SERVER, "systemctl restart rsyslog")
    address = lab.hosts[SERVER].address
    for host in HOSTS:
        role_conf = lab.run(host, "cat /etc/rsyslog.d/60-mlps-forward.conf").stdout
        action = re.search(r'action\(type="omrelp".*?\)\n', role_conf, re.S)
        assert action, "no omrelp action in the role's configuration"
        text = re.sub(r'\s+tls[.a-z]*="[^"]*"|\s+tls\.permittedpeer=\[[^]]*\]', "", action.group(0))
        text = re.sub(r'port="\d+"', f'port="{PLAIN_PORT}"', text)
        text = text.replace('name="mlps_forward_1"', 'name="bench_plain"')
        text = text.replace('queue.filename="mlps_forward_1"', 'queue.filename="bench_plain"')
        assert f'target="{address}"' in text and 'tls="on"' not in text
        conf = (f'input(type="imfile" file="{SRC}/plain.log" tag="bench:" ruleset="bench_plain")\n'
                f'ruleset(name="bench_plain") {{\n{text}}}\n')
        lab.run(host, f"mkdir -p {SRC} && cat > /etc/rsyslog.d/90-bench-plain.conf", input=conf)
        lab.run(host, "cat > /usr/local/bin/mlps-bench-writer", input=WRITER)
        lab.run(host, "systemctl restart rsyslog")


def stored(lab: Lab, tag: str) -> int:
    out = lab.run(SERVER, f"cat {ROOT}/fw*/*.log | grep -c 'bench={tag} ' || true").stdout
    return int(out.strip() or 0)


def burst(lab: Lab, tag: str, source: str, per_host: int, rate: float = 0) -> float:
    """Write ``per_host`` records on every host at once; seconds until the server has all."""
    start = time.monotonic()
    for host in HOSTS:
        lab.run(host, f"systemd-run --unit bench-{tag} python3 /usr/local/bin/mlps-bench-writer "
                      f"{SRC}/{source}.log {tag} {per_host} {rate}")
    return wait_for(lab, tag, per_host * len(HOSTS), start)


def wait_for(lab: Lab, tag: str, total: int, start: float, limit: float = 600) -> float:
    while stored(lab, tag) < total:
        if time.monotonic() - start > limit:
            raise SystemExit(f"{tag}: only {stored(lab, tag)}/{total} stored after {limit:g} s")
        time.sleep(0.25)
    return time.monotonic() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-host", type=int, default=100_000)
    parser.add_argument("--backlog-rate", type=int, default=2000, help="records/s per host")
    args = parser.parse_args()
    lab = Lab("mlps-t-logs-bench").up(topology=TOPOLOGY)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            pki = Path(tmp) / "pki"
            environment_pki(pki, "bench log CA", [SERVER, *HOSTS])
            run = run_playbook(PLAYBOOK, lab.inventory_path, limit=",".join([SERVER, *HOSTS]),
                               extra_vars={
                "log_audit_server_pki_src_dir": str(pki), "log_forwarder_pki_src_dir": str(pki),
                "log_audit_server_permitted_peers": HOSTS,
                "log_forwarder_servers": [{"host": lab.hosts[SERVER].address, "name": SERVER}],
                "log_forwarder_extra_files": [{"path": f"{SRC}/tls.log", "tag": "bench"}]})
            if not run.ok:
                raise SystemExit(run.output[-3000:])
        plain_variant(lab)
        n = args.per_host * len(HOSTS)
        stamp = int(time.time())
        # plain_variant restarted the server, which suspended the forwarders' TLS sessions:
        # let both paths connect again before anything is timed.
        burst(lab, f"warmtls{stamp}", "tls", 10)
        burst(lab, f"warmplain{stamp}", "plain", 10)
        tls_s = burst(lab, f"tls{stamp}", "tls", args.per_host)
        plain_s = burst(lab, f"plain{stamp}", "plain", args.per_host)
        lab.run(SERVER, "systemctl stop syslog.socket rsyslog.service")
        tag, backlog = f"backlog{stamp}", args.backlog_rate * 30
        for host in HOSTS:
            lab.run(host, f"systemd-run --unit bench-{tag} python3 "
                          f"/usr/local/bin/mlps-bench-writer {SRC}/tls.log {tag} {backlog} "
                          f"{args.backlog_rate}")
        time.sleep(30.5)
        restart = time.monotonic()
        lab.run(SERVER, "systemctl start rsyslog.service")
        drain_s = wait_for(lab, tag, backlog * len(HOSTS), restart)
        result = {
            "records_per_run": n,
            "tls_msgs_per_s": round(n / tls_s), "plain_msgs_per_s": round(n / plain_s),
            "tls_over_plain": round(plain_s / tls_s, 3),
            "backlog_records": backlog * len(HOSTS), "backlog_drain_s": round(drain_s, 1),
            "drain_msgs_per_s": round(backlog * len(HOSTS) / drain_s),
        }
        print(json.dumps(result, indent=1))
    finally:
        lab.down()


if __name__ == "__main__":
    main()
