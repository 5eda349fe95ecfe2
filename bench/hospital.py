"""A whole hospital from one spec: bare lab hosts to the signed report, timed per role.

Run as root: ``.venv/bin/python -m bench.hospital [--spec Pulumi.onprem-lab.yaml] [--json out.json]
[--keep]``. Boots the spec's lab (``mlps lab up --spec``, lab ``mlps-bench-hosp``), makes the
environment's log CA and one certificate per host (``mlps pki init``), runs
``playbooks/site.yml`` on the lab's inventory (the one ``mlps synth`` writes, plus the lab's
connection variables) with one fork per host, runs it again (changed must be 0), runs
``playbooks/verify.yml`` and ``mlps report``. Prints each step's wall time, the time per role
(Ansible's ``profile_roles`` callback), each run's changed count and the report's failing
controls.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from mlps.ansible_run import PROJECT_ROOT
from mlps.lab import Lab
from mlps.spec import load_spec

LAB_NAME = "mlps-bench-hosp"
BIN = Path(sys.executable).parent
ROLE_LINE = re.compile(r"^(\w+) -+ ([\d.]+)s$")
RECAP_LINE = re.compile(r"^(\S+)\s+: ok=\d+\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)")


def tail(log: Path, lines: int = 40) -> str:
    """The end of a log, for an error raised before the work directory is removed."""
    return "\n".join(log.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])


def run(cmd: list[str], env: dict[str, str], log: Path, allowed: tuple[int, ...] = (0,)) -> float:
    """Run a command from the project root, its output to ``log``; return its wall time."""
    start = time.monotonic()
    with log.open("w", encoding="utf-8") as out:
        done = subprocess.run(cmd, cwd=PROJECT_ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                              check=False)
    seconds = time.monotonic() - start
    if done.returncode not in allowed:
        raise RuntimeError(f"{' '.join(cmd[:2])} exited {done.returncode}:\n{tail(log)}")
    return seconds


def playbook_figures(log: Path) -> dict[str, Any]:
    """Per-role seconds (profile_roles) and per-host changed counts of one ansible-playbook log."""
    roles: dict[str, float] = {}
    changed: dict[str, int] = {}
    for line in log.read_text(encoding="utf-8").splitlines():
        if (m := ROLE_LINE.match(line.strip())) and m.group(1) != "total":
            roles[m.group(1)] = float(m.group(2))
        elif m := RECAP_LINE.match(line.strip()):
            if int(m.group(3)) or int(m.group(4)):
                raise RuntimeError(f"{m.group(1)} unreachable or failed:\n{tail(log)}")
            changed[m.group(1)] = int(m.group(2))
    return {"roles_s": roles, "changed": changed}


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--spec", type=Path, default=PROJECT_ROOT / "Pulumi.onprem-lab.yaml")
    parser.add_argument("--json", type=Path, help="also write the raw results here")
    parser.add_argument("--keep", action="store_true", help="leave the lab up afterwards")
    args = parser.parse_args()
    hosts = [h["name"] for h in load_spec(args.spec).effective["hosts"]]
    load = os.getloadavg()[0]
    result: dict[str, Any] = {"spec": args.spec.name, "hosts": len(hosts)}
    with tempfile.TemporaryDirectory(prefix="mlps-bench-hosp-") as tmp:
        work = Path(tmp)
        env = {**os.environ, "PATH": f"{BIN}:{os.environ.get('PATH', '/usr/bin:/bin')}",
               "MLPS_PKI_DIR": str(work / "pki"), "ANSIBLE_FORKS": str(len(hosts)),
               "ANSIBLE_CALLBACKS_ENABLED": "ansible.posix.profile_roles"}
        subprocess.run([str(BIN / "mlps"), "pki", "init", str(work / "pki"),
                        *[a for h in hosts for a in ("--name", h)]],
                       check=True, capture_output=True)
        start = time.monotonic()
        lab = Lab(LAB_NAME).up(spec=args.spec)
        result["lab_up_s"] = round(time.monotonic() - start, 1)
        try:
            playbook = [str(BIN / "ansible-playbook"), "-i", str(lab.inventory_path)]
            evidence = ["-e", f"evidence_dir={work / 'evidence'}"]
            for step, book in (("first_run", "site.yml"), ("idempotent_run", "site.yml"),
                               ("verify", "verify.yml")):
                log = work / f"{step}.log"
                seconds = run([*playbook, f"playbooks/{book}", *evidence], env, log)
                result[step] = {"s": round(seconds, 1), **playbook_figures(log)}
            if any(result["idempotent_run"]["changed"].values()):
                raise RuntimeError(f"the second run changed something:\n{tail(work / 'idempotent_run.log')}")
            report = work / "report"
            result["report_s"] = round(run(
                [str(BIN / "mlps"), "report", "--spec", str(args.spec), "--synth",
                 "--evidence", str(work / "evidence"), "--out", str(report)],
                env, work / "report.log", allowed=(0, 1)), 1)
            summary = json.loads((report / "report.json").read_text(encoding="utf-8"))["summary"]
            result["report"] = {"compliant": summary["compliant"],
                                "controls": summary["environments"][0]["controls"]}
        finally:
            if not args.keep:
                lab.down()
    result["load_average_start_end"] = [round(load, 1), round(os.getloadavg()[0], 1)]
    total = sum(result[s]["s"] for s in ("first_run", "verify")) + result["report_s"]
    print(f"{result['hosts']} hosts from {result['spec']}: lab up {result['lab_up_s']} s")
    for step in ("first_run", "idempotent_run", "verify"):
        fig = result[step]
        roles = ", ".join(f"{r} {s:.0f} s" for r, s in fig["roles_s"].items())
        print(f"{step}: {fig['s']} s, changed {sum(fig['changed'].values())} ({roles})")
    print(f"report: {result['report_s']} s; bare hosts to report {total:.0f} s")
    print(f"report summary: {json.dumps(result.get('report', {}))}")
    print(f"machine load average (1 min) at the start / end: {load:.1f} / {os.getloadavg()[0]:.1f}")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
