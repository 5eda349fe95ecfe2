"""Helpers shared by the stack tests: example specs, edited specs, resources by type."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from mlps.spec import LoadedSpec, load_spec, spec_from_config
from mlps.synth.project import importable
from mlps.synth.run import SynthResult, synthesize_spec

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ("hybrid-prod", "onprem-lab", "cloud-dev", "private-cloud")
importable(ROOT)


def example(stack: str) -> LoadedSpec:
    return load_spec(ROOT / f"Pulumi.{stack}.yaml")


def modified(stack: str, change: Any) -> LoadedSpec:
    """An example spec after ``change(data)`` edits a deep copy of it."""
    data = copy.deepcopy(example(stack).data)
    change(data)
    return spec_from_config(data, f"Pulumi.{stack}.yaml")


def synthesize_all() -> dict[str, SynthResult]:
    return {stack: synthesize_spec(example(stack), ROOT, stack) for stack in EXAMPLES}


def of_type(result: SynthResult, token: str) -> list[dict[str, Any]]:
    from mlps.synth.output import clean

    return [{"name": r.name, **clean(r.inputs)} for r in result.registrations if r.type == token]
