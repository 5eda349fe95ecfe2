"""Synth never merges two spec entries into one output entry nor emits one resource twice."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from mlps.errors import InputError
from mlps.spec import load_spec
from mlps.spec.load import LoadedSpec
from mlps.synth.mockrun import Registration
from mlps.synth.run import KEYED_BY_NAME, one_entry_each, one_resource_each

ROOT = Path(__file__).resolve().parents[2]
HYBRID = load_spec(ROOT / "Pulumi.hybrid-prod.yaml")


def _entries(spec: LoadedSpec, where: str) -> list[dict[str, Any]]:
    node: Any = spec.data
    for part in where.split("/"):
        node = node[part]
    entries: list[dict[str, Any]] = node  # the list itself, not a copy
    return entries


def _spec(where: str, change: dict[str, str] | None = None) -> LoadedSpec:
    """hybrid-prod (as loaded, past the input rules) with the first entry of ``where`` copied
    to its end, ``change`` applied to the copy."""
    spec = copy.deepcopy(HYBRID)
    entries = _entries(spec, where)
    entries.append(copy.deepcopy(entries[0]) | (change or {}))
    return spec


def test_distinct_entries_pass() -> None:
    one_entry_each(HYBRID)


@pytest.mark.parametrize(("where", "key"), sorted({(w, k) for w, k, _ in KEYED_BY_NAME}))
def test_one_repeated_key_refused(where: str, key: str) -> None:
    spec = _spec(where)
    with pytest.raises(InputError) as caught:
        one_entry_each(spec)
    last = len(_entries(spec, where)) - 1
    line = caught.value.line()
    assert f"(/{where}/{last}/{key}) repeats /{where}/0/{key}" in line
    assert "remove the repeated entry" in line


def test_names_compared_folded() -> None:
    with pytest.raises(InputError, match="repeats /workloads/0/name"):
        one_entry_each(_spec("workloads", {"name": "HIS\u200b"}))


def _reg(type_: str, name: str, urn: str, manifest: bool = False) -> Registration:
    inputs = {"apiVersion": "apps/v1", "kind": "Deployment"} if manifest else {}
    return Registration(type=type_, name=name, urn=urn, parent="", provider="",
                        custom=True, inputs=inputs)


def test_one_resource_per_urn_and_one_manifest_per_file() -> None:
    one_resource_each([_reg("mlps:x:A", "a", "urn:a"), _reg("mlps:x:B", "a", "urn:b")], "s.yaml")
    with pytest.raises(InputError, match="two mlps:x:A resources named a"):
        one_resource_each([_reg("mlps:x:A", "a", "urn:a"), _reg("mlps:x:A", "a", "urn:a")],
                          "s.yaml")
    with pytest.raises(InputError, match="named his"):
        one_resource_each([_reg("kubernetes:apps/v1:Deployment", "his", "urn:d", True),
                           _reg("kubernetes:core/v1:Service", "his", "urn:s", True)], "s.yaml")
