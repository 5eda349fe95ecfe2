"""Validation speed: specs per second (warm, one process) on both schema engines, and the
cold start of one `mlps validate` call.

Run: .venv/bin/python bench/validate_bench.py [--specs 1000] [--cold-runs 7]
"""

from __future__ import annotations

import argparse
import copy
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mlps.controls import catalog  # noqa: E402
from mlps.spec import load_spec, spec_from_config  # noqa: E402
from mlps.validate import validate  # noqa: E402

EXAMPLES = ["hybrid-prod", "onprem-lab", "cloud-dev", "private-cloud"]
BREAKS = [
    lambda d: d["bastion"].update(mfa="none"),
    lambda d: d.setdefault("log_audit", {}).update(retention_days=90),
    lambda d: d.setdefault("baseline", {}).update(idle_timeout_seconds=3600),
    lambda d: d["zones"][0].update(default_deny=False),
    lambda d: d.setdefault("kubernetes", {}).update(pod_security="privileged"),
]


def realistic_specs(n: int, seed: int = 22239) -> list[dict[str, Any]]:
    """Variants of the examples: more workloads and hosts, and a finding in every other one."""
    rng = random.Random(seed)
    bases = [load_spec(ROOT / f"Pulumi.{e}.yaml").data for e in EXAMPLES]
    out = []
    for i in range(n):
        d = copy.deepcopy(bases[i % len(bases)])
        d["name"] = f"env-{i:04d}"
        extra = rng.randint(0, 12)
        template = d["workloads"][0]
        for j in range(extra):
            w = dict(template, name=f"app-{j}")
            d["workloads"].append(w)
        if i % 2:
            rng.choice(BREAKS)(d)
        out.append(d)
    return out


def warm(specs: list[dict[str, Any]], engine: str) -> tuple[float, int]:
    cat = catalog()
    validate(spec_from_config(specs[0], "warmup"), cat=cat, engine=engine)
    start = time.perf_counter()
    findings = 0
    for d in specs:
        findings += len(validate(spec_from_config(d, "bench"), cat=cat, engine=engine).findings)
    return len(specs) / (time.perf_counter() - start), findings


def cold(runs: int) -> tuple[float, float]:
    def median(cmd: list[str]) -> float:
        times = []
        for _ in range(runs):
            t = time.perf_counter()
            subprocess.run(cmd, cwd=ROOT, capture_output=True, check=False)
            times.append(time.perf_counter() - t)
        return statistics.median(times)

    python = median([sys.executable, "-c", "pass"])
    mlps = median([str(Path(sys.executable).parent / "mlps"), "validate",
                   "Pulumi.hybrid-prod.yaml"])
    return mlps, python


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--specs", type=int, default=1000)
    parser.add_argument("--cold-runs", type=int, default=7)
    args = parser.parse_args()
    specs = realistic_specs(args.specs)
    print("| engine | specs | specs/s (warm) | findings |\n|---|---|---|---|")
    rates = {}
    for engine in ("rs", "python"):
        rate, findings = warm(specs, engine)
        rates[engine] = rate
        print(f"| {'jsonschema-rs' if engine == 'rs' else 'jsonschema'} | {len(specs)} | "
              f"{rate:,.0f} | {findings} |")
    print(f"\nratio jsonschema-rs / jsonschema: {rates['rs'] / rates['python']:.1f}x")
    mlps, python = cold(args.cold_runs)
    print(f"cold start `mlps validate Pulumi.hybrid-prod.yaml`: {mlps:.3f} s "
          f"(median of {args.cold_runs}; bare `python -c pass`: {python:.3f} s)")


if __name__ == "__main__":
    main()
