"""Relabel and move the PACS and EMR workloads and the PACS bucket of compliant specs at random:
whenever patient data would leave the core, validation reports it (a finding) or refuses the spec
(an input error); it never crashes."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mlps.errors import InputError
from mlps.spec import load_spec, spec_from_config
from mlps.validate import validate

ROOT = Path(__file__).resolve().parent.parent
BASES = {n: load_spec(ROOT / f"Pulumi.{n}.yaml").data for n in ("hybrid-prod", "onprem-lab")}
INSIDE = ("core", "storage", "application")
CLASSES = ("core", "personal", "public")
PLACES = ("onprem", "cloud")


def _index(entries: list[dict[str, Any]], name: str) -> int:
    return next(i for i, e in enumerate(entries) if e["name"] == name)


@st.composite
def mutations(draw: st.DrawFn) -> tuple[dict[str, Any], list[str]]:
    """A mutated spec and the reasons patient data leaves the core in it (empty when it stays)."""
    base = draw(st.sampled_from(sorted(BASES)))
    spec = copy.deepcopy(BASES[base])
    zones = {z["name"]: z for z in spec["zones"]}
    leaks: list[str] = []
    layout = draw(st.sampled_from(["hybrid", "onprem"])) if base == "hybrid-prod" else "onprem"
    spec["layout"] = layout
    for name in ("pacs", "emr"):
        w = spec["workloads"][_index(spec["workloads"], name)]
        w["data_class"] = draw(st.sampled_from(CLASSES))
        w["placement"] = draw(st.sampled_from(PLACES))
        w["zone"] = draw(st.sampled_from(sorted(zones)))
        if w["placement"] == "cloud":
            leaks.append(f"{name} placed in the cloud")
        if zones[w["zone"]]["kind"] not in INSIDE:
            leaks.append(f"{name} in {zones[w['zone']]['kind']} zone")
    bucket = spec["object_storage"]["buckets"][_index(spec["object_storage"]["buckets"],
                                                      "pacs-images")]
    bucket["data_class"] = draw(st.sampled_from(CLASSES))
    bucket["placement"] = draw(st.sampled_from(PLACES))
    if bucket["placement"] == "cloud":
        leaks.append("pacs-images placed in the cloud")
    return spec, leaks


def _onprem_has_cloud_parts(spec: dict[str, Any]) -> bool:
    parts = [*spec["zones"], *spec["workloads"], *spec["object_storage"]["buckets"]]
    return spec["layout"] == "onprem" and any(p.get("placement") == "cloud" for p in parts)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=mutations())
def test_patient_data_never_leaves_the_core_unreported(
        case: tuple[dict[str, Any], list[str]]) -> None:
    spec, leaks = case
    try:
        loaded = spec_from_config(spec, "mutated.yaml")
    except InputError as err:
        assert _onprem_has_cloud_parts(spec), err.line()
        assert "layout is onprem" in err.line()
        return
    assert not _onprem_has_cloud_parts(spec)
    result = validate(loaded)
    fired = {f.control for f in result.findings if f.status == "fail"}
    if leaks:
        assert fired & {"CLD-DATA-01", "CNS-ZONE-03"}, leaks
    else:
        assert not fired & {"CLD-DATA-01", "CNS-ZONE-03"}, sorted(fired)


def test_the_unmutated_bases_are_clean() -> None:
    for spec in BASES.values():
        fired = {f.control for f in validate(spec_from_config(spec, "base.yaml")).findings}
        assert not fired & {"CLD-DATA-01", "CNS-ZONE-03", "CES-BAK-06"}
