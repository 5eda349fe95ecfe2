"""Lab timings: base image (fresh build vs cache restore), boot to SSH, ansible ping.

Run as root: ``.venv/bin/python bench/lab.py [--fresh] [--rounds N]``. ``--fresh`` also
runs debootstrap into a scratch directory (about a minute, the .deb cache is reused).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from mlps.lab import Lab, image
from mlps.lab.mirror import read_apt_sources

BENCH_LAB = "mlps-bench"


def timed(action: Callable[[], object]) -> float:
    start = time.monotonic()
    action()
    return time.monotonic() - start


def base_figures(fresh: bool) -> dict[str, str]:
    sources = read_apt_sources()
    image.base_rootfs(sources)  # make sure the cache exists
    tarball = image.tarball_path(image.recipe_key(sources))
    out = {"tarball": f"{tarball.stat().st_size / 1e6:.0f} MB"}
    with tempfile.TemporaryDirectory(dir="/var/tmp", prefix="mlps-bench-") as tmp:
        out["restore"] = f"{timed(lambda: image._restore(tarball, Path(tmp) / 'r')):.1f} s"
        if fresh:
            out["fresh build"] = f"{timed(lambda: image._build(sources, Path(tmp) / 'f')):.1f} s"
    return out


def lab_figures(rounds: int) -> dict[str, str]:
    lab = Lab(BENCH_LAB)
    boots, pings, restarts = [], [], []
    ansible = str(Path(sys.executable).parent / "ansible")
    try:
        for _ in range(rounds):
            boots.append(timed(lambda: lab.up(hosts=3)))
            cmd = [ansible, "-i", str(lab.inventory_path), "all", "-m", "ping", "-o"]
            pings.append(timed(lambda cmd=cmd: subprocess.run(cmd, check=True, capture_output=True)))
            lab.stop("h1")
            restarts.append(timed(lambda: lab.start("h1")))
    finally:
        lab.down()
    med = statistics.median
    return {
        "up, 3 hosts to SSH (from cache)": f"{med(boots):.1f} s (min {min(boots):.1f})",
        "ansible -m ping, 3 hosts": f"{med(pings):.1f} s",
        "start one stopped host to SSH": f"{med(restarts):.1f} s",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--fresh", action="store_true", help="also time a fresh debootstrap")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if shutil.which("debootstrap") is None:
        sys.exit("bench/lab.py: needs the lab's tools (run scripts/bootstrap as root)")
    figures = {**base_figures(args.fresh), **lab_figures(args.rounds)}
    for key, value in figures.items():
        print(f"| {key} | {value} |")


if __name__ == "__main__":
    main()
