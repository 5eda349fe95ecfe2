"""Thousands of random and mutated specs: never a crash, always an InputError or a valid report."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mlps.controls import catalog
from mlps.errors import InputError
from mlps.report import Report, build_section, render
from mlps.spec import load_spec, spec_from_config
from mlps.spec.yamlsource import parse
from mlps.validate import validate

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = [load_spec(ROOT / f"Pulumi.{n}.yaml").data
            for n in ("hybrid-prod", "onprem-lab", "cloud-dev")]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-10**6, 10**6) | st.floats(allow_nan=False)
    | st.text(max_size=20) | st.sampled_from(["totp", "none", "onprem", "cloud", "core", 3, 180]),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=12,
)


def paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(node, dict):
        for k, v in node.items():
            out += paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += paths(v, (*prefix, i))
    return out


@st.composite
def mutated_specs(draw: st.DrawFn) -> dict[str, Any]:
    spec = copy.deepcopy(draw(st.sampled_from(EXAMPLES)))
    for _ in range(draw(st.integers(1, 4))):
        candidates = paths(spec)[1:]
        path = draw(st.sampled_from(candidates))
        parent: Any = spec
        for step in path[:-1]:
            parent = parent[step]
        action = draw(st.sampled_from(["delete", "replace", "add"]))
        if action == "delete":
            del parent[path[-1]]
        elif action == "replace":
            parent[path[-1]] = draw(json_values)
        elif isinstance(parent, dict):
            parent[draw(st.text(max_size=8))] = draw(json_values)
    return spec


def check_outcome(data: Any) -> None:
    try:
        spec = spec_from_config(data, "mutated.yaml")
    except InputError as exc:
        assert exc.line().startswith("mutated.yaml") and exc.hint
        return
    cat = catalog()
    result = validate(spec, cat=cat)
    for f in result.findings:
        assert cat.get(f.control) is not None
        assert f.pointer == "" or f.pointer.startswith("/")
    section = build_section(cat, spec.name, spec.file, result.level, result.findings,
                            {"spec": result.checked})
    report = json.loads(render(Report(sections=[section]), "json"))
    assert report["summary"]["compliant"] == (not result.failed)


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_specs())
def test_mutated_specs_never_crash(data: dict[str, Any]) -> None:
    check_outcome(data)


@settings(max_examples=500, deadline=None)
@given(json_values)
def test_random_values_never_crash(data: Any) -> None:
    check_outcome(data)


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=300))
def test_random_text_is_parsed_or_refused_cleanly(text: str) -> None:
    try:
        parse(text, "random.yaml")
    except InputError as exc:
        assert exc.line().startswith("random.yaml")
