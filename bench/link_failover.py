"""Outage of a silent cut in the primary carrier (`python -m bench.link_failover`).

On the lab of tests/roles/topologies/link-failover.yml (hospital LAN - edge - carrier A/B -
cloud edge - server), roles/link_failover is applied with BFD 300 ms x 3, then 100 ms x 3,
then, as a baseline in the same run, with BFD removed from the rendered BIRD configuration
(BGP keepalive 3 s / hold 9 s alone). For each setup the primary line is cut ``--cuts`` times
inside carrier A (nftables drop on its far segment, every interface stays UP) and healed.
A probe on the LAN host sends a UDP echo to the server every 10 ms and keeps one TCP
connection echoing every 20 ms: outage = longest run of lost echoes x 10 ms; after the heal,
traffic must return to the primary with no loss; a TCP reset is counted.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from mlps.ansible_run import run_playbook
from mlps.lab import Lab
from tests.roles import link_failover_lab as lf

LAB_NAME = "mlps-t-link-bench"
HOLD_DOWN = 2  # seconds; short so that a run of many cuts stays short
STRIP_BFD = r"sed -i '/^  bfd {/,/^  };/d' /etc/bird/bird.conf && birdc configure"


def wait(check: Callable[[], bool], seconds: float, what: str) -> float:
    """Poll ``check`` every 20 ms; return the seconds it took, raise when it never holds."""
    start = time.monotonic()
    while not check():
        if time.monotonic() - start > seconds:
            raise RuntimeError(f"not reached within {seconds:g} s: {what}")
        time.sleep(0.02)
    return time.monotonic() - start


def deploy(lab: Lab, inventory_dir: Path, profile: str, passwords: dict[str, str]) -> Path:
    host_vars = lf.edge_vars(lab, passwords, profile)
    for extra in host_vars.values():
        extra["link_failover_hold_down_seconds"] = HOLD_DOWN
        extra["link_failover_hold_down_max_seconds"] = HOLD_DOWN
    inventory = lf.write_inventory(lab, host_vars, inventory_dir / "inv.yml")
    run = run_playbook(lf.PLAYBOOK, inventory)
    if not run.ok:
        raise RuntimeError(run.output[-3000:])
    return inventory


def sessions_up(lab: Lab) -> bool:
    return all(lf.bird_state(lab, e).count("Established") == 2
               for e in (lf.HOSPITAL_EDGE, lf.CLOUD_EDGE))


def one_cut(lab: Lab, pool: ThreadPoolExecutor) -> dict[str, Any]:
    """Cut the primary silently, wait for the backup, heal, wait for the primary."""
    wait(lambda: sessions_up(lab) and lf.on_line(lab, lf.PRIMARY), 60, "steady on the primary")
    probe = lf.start_client(lab, pool, seconds=600)
    wait(lambda: lab.run(lf.LAN_HOST, f"test -s {lf.CLIENT_PIDFILE}", check=False).returncode == 0,
         30, "probe client running")
    time.sleep(1.5)
    lab.cut(lf.PRIMARY.far, mode="drop")
    switch = wait(lambda: lf.on_line(lab, lf.BACKUP), 30, "both edges on the backup")
    time.sleep(1.0)
    lab.heal(lf.PRIMARY.far)
    back = wait(lambda: lf.on_line(lab, lf.PRIMARY), 60, "both edges back on the primary")
    time.sleep(1.0)
    lf.stop_client(lab)
    result = probe.result()
    runs = result["runs"]
    cut_run = max(runs, key=lambda r: r["gap_ms"]) if runs else {"gap_ms": 0, "lost": 0}
    return {
        "outage_ms": result["longest_gap_ms"],
        "lost_after_heal": sum(r["lost"] for r in runs) - cut_run["lost"],
        "switch_seen_s": round(switch, 2),
        "back_on_primary_s": round(back, 2),
        "tcp_error": result["tcp"]["error"],
        "tcp_stall_ms": result["tcp"]["longest_stall_ms"],
    }


def measure(lab: Lab, setup: str, cuts: int, pool: ThreadPoolExecutor) -> dict[str, Any]:
    rows = []
    for _ in range(cuts):
        rows.append(one_cut(lab, pool))
        print(setup, json.dumps(rows[-1]), flush=True)
    outages = [r["outage_ms"] for r in rows]
    return {
        "setup": setup, "cuts": rows,
        "median_ms": statistics.median(outages), "min_ms": min(outages), "max_ms": max(outages),
        "tcp_resets": sum(1 for r in rows if r["tcp_error"]),
        "lost_after_heal": sum(r["lost_after_heal"] for r in rows),
        "median_back_s": statistics.median(r["back_on_primary_s"] for r in rows),
        "max_tcp_stall_ms": max(r["tcp_stall_ms"] for r in rows),
    }


def table(results: list[dict[str, Any]], cuts: int) -> str:
    lines = [
        f"| setup | outage median (ms), {cuts} cuts | min-max (ms) | TCP resets "
        "| longest TCP stall (ms) | lost after heal | back on primary after heal (s) |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in results:
        lines.append(
            f"| {r['setup']} | {r['median_ms']:g} | {r['min_ms']}-{r['max_ms']} | "
            f"{r['tcp_resets']} | {r['max_tcp_stall_ms']} | {r['lost_after_heal']} | "
            f"{r['median_back_s']:g} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cuts", type=int, default=5, help="cuts per setup (>= 5)")
    parser.add_argument("--json", type=Path, help="also write the raw results here")
    parser.add_argument("--keep", action="store_true", help="leave the lab up afterwards")
    args = parser.parse_args()
    load = os.getloadavg()
    lab = Lab(LAB_NAME).up(topology=lf.TOPOLOGY)
    results = []
    try:
        lf.wire(lab)
        passwords = lf.new_passwords()
        with tempfile.TemporaryDirectory(prefix="mlps-lf-bench-") as tmp, \
                ThreadPoolExecutor(1) as pool:
            for profile, setup in (("standard", "BGP + BFD 300 ms x 3"),
                                   ("fast", "BGP + BFD 100 ms x 3")):
                deploy(lab, Path(tmp), profile, passwords)
                lf.start_server(lab)
                results.append(measure(lab, setup, args.cuts, pool))
            for edge in (lf.HOSPITAL_EDGE, lf.CLOUD_EDGE):
                lab.run(edge, STRIP_BFD)
            wait(lambda: sessions_up(lab), 60, "sessions without BFD")
            results.append(measure(lab, "BGP without BFD (keepalive 3 s / hold 9 s)",
                                   args.cuts, pool))
    finally:
        if not args.keep:
            lab.down()
    print(table(results, args.cuts))
    print(f"machine load average (1 min) at the start / end: {load[0]:.1f} / "
          f"{os.getloadavg()[0]:.1f}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
