"""A spec that fails 等保 validation stops the program before any resource is registered."""

from __future__ import annotations

import pytest
from synthfix import ROOT, modified

from mlps.synth.mockrun import Registration, run_program
from stacks.program import SpecViolation, build


def _shorten_logs(data: dict) -> None:
    data["log_audit"]["retention_days"] = 30


def _core_in_cloud(data: dict) -> None:
    data["workloads"][0]["placement"] = "cloud"
    data["workloads"][0]["zone"] = "dmz"


@pytest.mark.parametrize(
    ("change", "control"), [(_shorten_logs, "SMC-CEN-04"), (_core_in_cloud, "CLD-DATA-01")]
)
def test_failing_spec_registers_nothing(change, control: str) -> None:  # type: ignore[no-untyped-def]
    spec = modified("hybrid-prod", change)
    registered: list[Registration] = []
    with pytest.raises(SpecViolation) as caught:
        run_program(lambda: build(spec), "mlps", "hybrid-prod", {}, sink=registered)
    assert registered == []
    assert control in str(caught.value)
    assert "nothing was deployed" in str(caught.value)


def test_the_same_spec_builds_when_compliant() -> None:
    spec = modified("hybrid-prod", lambda d: None)
    registered = run_program(lambda: build(spec), "mlps", "hybrid-prod", {})
    assert registered[0].type == "mlps:index:Environment" and registered[0].name == "hybrid-prod"
    assert ROOT.joinpath("Pulumi.yaml").is_file()
