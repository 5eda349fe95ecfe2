"""The automation controller's address reaches the inventory only as the spec declares it
(baseline.ssh.controller_sources): root may log in by key from there and nowhere else."""

from __future__ import annotations

from typing import Any

from synthfix import ROOT, modified

from mlps.synth.run import synthesize_spec
from stacks.inventory import load_inventory


def _baseline_vars(change: Any) -> dict[str, Any]:
    result = synthesize_spec(modified("onprem-lab", change), ROOT, "onprem-lab")
    inv = load_inventory(result.files["inventory.yml"])
    return dict(inv["all"]["children"]["baseline"]["vars"])


def test_declared_controller_address_is_the_only_root_source() -> None:
    def declare(data: dict[str, Any]) -> None:
        data.setdefault("baseline", {}).setdefault("ssh", {})["controller_sources"] = ["10.110.0.5/32"]

    assert _baseline_vars(declare)["baseline_firewall_controller_sources"] == ["10.110.0.5/32"]


def test_no_declared_controller_means_no_root_source() -> None:
    def undeclare(data: dict[str, Any]) -> None:
        data.get("baseline", {}).get("ssh", {}).pop("controller_sources", None)

    assert "baseline_firewall_controller_sources" not in _baseline_vars(undeclare)
