"""Synthesize a regional medical alliance (医联体) of N hospitals; time the plan-time policies.

Usage: .venv/bin/python bench/synth_bench.py N [--checkov]
Prints one JSON line: hospitals, resources, manifests, synth seconds, peak RSS, policy seconds
and, with --checkov, Checkov's seconds on the same manifests.
"""

from __future__ import annotations

import copy
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mlps.controls import catalog  # noqa: E402
from mlps.spec import load_spec, spec_from_config  # noqa: E402
from mlps.synth.checkov import run_checkov  # noqa: E402
from mlps.synth.checks import plan_graph, run_policies  # noqa: E402
from mlps.synth.mockrun import run_program  # noqa: E402
from mlps.synth.output import render_files  # noqa: E402
from stacks.program import build  # noqa: E402


def alliance(n: int) -> list:  # type: ignore[type-arg]
    """N member hospitals shaped like the on-prem example, each its own environment."""
    base = load_spec(ROOT / "Pulumi.onprem-lab.yaml").data
    specs = []
    for i in range(n):
        data = copy.deepcopy(base)
        data["name"] = f"hosp-{i:03d}"
        data["hospital"]["name"] = f"医联体成员医院 {i:03d}"
        specs.append(spec_from_config(data, f"alliance/hosp-{i:03d}.yaml"))
    return specs


def main() -> None:
    n = int(sys.argv[1])
    specs = alliance(n)
    start = time.perf_counter()

    def program() -> None:
        for spec in specs:
            build(spec)

    regs = run_program(program, "mlps", "alliance", {})
    synth_s = time.perf_counter() - start
    files = render_files(regs)
    cat = catalog()
    start = time.perf_counter()
    graph = plan_graph(regs, 3)
    check = run_policies(graph, cat)
    policy_s = time.perf_counter() - start
    manifests = {k: v for k, v in files.items() if k.startswith("manifests/")}
    out = {
        "hospitals": n,
        "resources": len(regs),
        "graph_resources": len(graph.resources),
        "manifests": len(manifests),
        "synth_s": round(synth_s, 2),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
        "policy_s": round(policy_s, 3),
        "findings": len(check.findings),
    }
    if "--checkov" in sys.argv:
        with tempfile.TemporaryDirectory() as tmp:
            for name, text in manifests.items():
                Path(tmp, Path(name).name).write_text(text, encoding="utf-8")
            start = time.perf_counter()
            run = run_checkov(Path(tmp))
            out["checkov_s"] = round(time.perf_counter() - start, 1)
            report = json.loads(run.stdout)
            reports = report if isinstance(report, list) else [report]
            out["checkov_failed"] = sum(r["summary"]["failed"] for r in reports)
    print(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    main()
