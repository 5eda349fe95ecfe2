"""A spec never says more of its dedicated lines than mlps builds: no encryption over a line is
built (CNS-LINKENC-01 is the assessor's check), so the schema assumes none and no example states it."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def _links(node: object) -> list[dict[str, object]]:
    """Every entry of a ``links`` list anywhere in a spec."""
    found: list[dict[str, object]] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "links" and isinstance(value, list):
                found += [v for v in value if isinstance(v, dict)]
            found += _links(value)
    elif isinstance(node, list):
        for value in node:
            found += _links(value)
    return found


def test_the_schema_assumes_a_line_carries_no_encryption() -> None:
    schema = json.loads((ROOT / "mlps/schemas/environment.schema.json").read_text(encoding="utf-8"))
    defaults = [node["default"] for node in _walk(schema) if "What the hospital states of the line"
                in str(node.get("description", ""))]
    assert defaults == [False]


def _walk(node: object) -> list[dict[str, object]]:
    found: list[dict[str, object]] = []
    if isinstance(node, dict):
        found.append(node)
        for value in node.values():
            found += _walk(value)
    elif isinstance(node, list):
        for value in node:
            found += _walk(value)
    return found


def test_no_example_states_an_encryption_mlps_does_not_build() -> None:
    examples = sorted(ROOT.glob("Pulumi.*.yaml"))
    lines = [(path.name, link) for path in examples
             for link in _links(yaml.safe_load(path.read_text(encoding="utf-8")))]
    assert lines, "the examples declare dedicated lines"
    assert [(name, link.get("name")) for name, link in lines if link.get("encrypted")] == []
