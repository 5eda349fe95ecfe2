"""A core workload relabelled and moved into the DMZ: the synthesized NetworkPolicy admits the
internet to its port, and the plan policy reports CNS-ZONE-03 even though the spec label says
public. The spec gate refuses such a spec first; here it is bypassed, as for a plan built any
other way (`pulumi preview --policy-pack policy` on an edited program), to show the policy is a
second, independent line."""

from __future__ import annotations

from typing import Any

import pytest
from synthfix import ROOT, modified, of_type

from mlps.synth.run import synthesize_spec

NP = "kubernetes:networking.k8s.io/v1:NetworkPolicy"


def _pacs_in_dmz(data: dict[str, Any]) -> None:
    pacs = next(w for w in data["workloads"] if w["name"] == "pacs")
    pacs.update(data_class="public", zone="dmz", tls=False)
    dmz = next(z for z in data["zones"] if z["name"] == "dmz")
    dmz["ingress"] = [{"from": "internet", "ports": [80, 443]}]


def test_plan_policy_reports_internet_ingress_to_a_relabelled_pacs(
        monkeypatch: pytest.MonkeyPatch) -> None:
    import stacks.program

    spec = modified("onprem-lab", _pacs_in_dmz)
    with pytest.raises(stacks.program.SpecViolation, match="CNS-ZONE-03"):
        stacks.program.gate(spec)
    monkeypatch.setattr(stacks.program, "gate", lambda spec: None)
    result = synthesize_spec(spec, ROOT, "onprem-lab")
    open_ports = {
        port["port"]
        for np in of_type(result, NP) if np["metadata"]["namespace"] == "dmz"
        for rule in np["spec"].get("ingress", [])
        if {"ipBlock": {"cidr": "0.0.0.0/0"}} in rule.get("from", [])
        for port in rule.get("ports", [])
    }
    assert 8042 in open_ports  # the attack: the plan opens the PACS port to the internet
    core = [f for f in result.findings if f.control == "CNS-ZONE-03"]
    assert core and all(f.checkpoint == "plan" for f in core)
    assert any("Deployment pacs" in f.message_en and "8042" in f.message_en for f in core)


def test_unchanged_example_plan_has_no_core_ingress_finding() -> None:
    result = synthesize_spec(modified("onprem-lab", lambda d: None), ROOT, "onprem-lab")
    assert not [f for f in result.findings if f.control == "CNS-ZONE-03"]
