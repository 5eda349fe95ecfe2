"""Lynis hardening index of a lab host before and after roles/baseline, and the role's run times.

Run as root: ``.venv/bin/python -m bench.baseline [--json out.json] [--keep]``. One lab host
(lab ``mlps-bench-baseline``, Debian 12 from the lab's base image) gets Lynis from the Debian
mirror, is audited (``lynis audit system --quick``), then roles/baseline (level 3, three separated
administrators) is applied twice through playbooks/site.yml and the host is audited again. Prints
both indices, the first and the idempotent run's wall time and changed count, and the Lynis tests
that still suggest something after the role, so each lost point can be read.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

from mlps.ansible_run import PROJECT_ROOT, run_playbook
from mlps.lab import Lab
from tests.roles.baseline_lab import admin_keys, admins

LAB_NAME = "mlps-bench-baseline"
HOST = "h1"
SITE = PROJECT_ROOT / "playbooks" / "site.yml"


def lynis(lab: Lab) -> dict[str, Any]:
    """Audit the host; return its hardening index and the ids of remaining suggestions/warnings."""
    lab.run(HOST, "lynis audit system --quick --no-colors >/dev/null 2>&1", timeout=600)
    report = lab.run(HOST, "cat /var/log/lynis-report.dat").stdout
    index = next(int(line.split("=", 1)[1]) for line in report.splitlines()
                 if line.startswith("hardening_index="))

    def listed(key: str) -> list[str]:
        return sorted({line.split("=", 1)[1].split("|", 1)[0] for line in report.splitlines()
                       if line.startswith(f"{key}[]=")})

    return {"hardening_index": index, "suggestions": listed("suggestion"), "warnings": listed("warning")}


def write_inventory(lab: Lab, work: Path) -> Path:
    inv = yaml.safe_load(lab.inventory_path.read_text(encoding="utf-8"))
    inv["all"]["vars"].update({"baseline_admins": admins(admin_keys(work)), "baseline_level": 3})
    path = work / "inventory.yml"
    path.write_text(yaml.safe_dump(inv), encoding="utf-8")
    return path


def timed_run(inventory: Path) -> tuple[float, int]:
    start = time.monotonic()
    run = run_playbook(SITE, inventory, tags="baseline", env={"ANSIBLE_TIMEOUT": "120"})
    seconds = time.monotonic() - start
    if not run.ok:
        raise RuntimeError(run.output[-3000:])
    return seconds, run.changed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, help="also write the raw results here")
    parser.add_argument("--keep", action="store_true", help="leave the lab up afterwards")
    args = parser.parse_args()
    load = os.getloadavg()[0]
    lab = Lab(LAB_NAME).up(hosts=1)
    try:
        lab.run(HOST, "DEBIAN_FRONTEND=noninteractive apt-get install -y -q lynis >/dev/null",
                timeout=600)
        before = lynis(lab)
        with tempfile.TemporaryDirectory(prefix="mlps-baseline-bench-") as tmp:
            inventory = write_inventory(lab, Path(tmp))
            first_s, first_changed = timed_run(inventory)
            second_s, second_changed = timed_run(inventory)
        after = lynis(lab)
    finally:
        if not args.keep:
            lab.down()
    result = {
        "lynis_before": before, "lynis_after": after,
        "first_run_s": round(first_s, 1), "first_run_changed": first_changed,
        "idempotent_run_s": round(second_s, 1), "idempotent_run_changed": second_changed,
        "load_average_start_end": [round(load, 1), round(os.getloadavg()[0], 1)],
    }
    print(f"Lynis hardening index: {before['hardening_index']} before, {after['hardening_index']} after")
    print(f"first run {first_s:.1f} s (changed={first_changed}), "
          f"idempotent run {second_s:.1f} s (changed={second_changed})")
    print("still suggested after the role:", " ".join(after["suggestions"]))
    print("warnings after the role:", " ".join(after["warnings"]) or "none")
    print(f"machine load average (1 min) at the start / end: {load:.1f} / {os.getloadavg()[0]:.1f}")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
