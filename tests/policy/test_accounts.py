"""A cloud account is judged once, however many provider configurations the plan holds (the
Alibaba Cloud plans carry a second one for the off-site region)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "stacks"))

from synthfix import example  # noqa: E402

from mlps.controls import catalog  # noqa: E402
from mlps.synth.checks import plan_graph, run_policies  # noqa: E402
from mlps.synth.run import synthesize_spec  # noqa: E402
from stacks.model import environment  # noqa: E402

TRAIL = "alicloud:actiontrail/trail:Trail"


@pytest.mark.parametrize(("dropped", "control"), [
    (TRAIL, "CLD-AUDIT-01"),
    ("alicloud:vpc/flowLog:FlowLog", "ABS-AUDIT-01"),
])
def test_a_missing_account_wide_resource_is_one_finding_per_subject(dropped: str, control: str) -> None:
    result = synthesize_spec(example("cloud-dev"), ROOT, "cloud-dev")
    providers = [r for r in result.registrations if r.type == "pulumi:providers:alicloud"]
    assert len(providers) == 2  # the home region and the off-site region
    cloud = environment(result.spec.effective).cloud
    assert cloud is not None
    regs = [r for r in result.registrations if r.type != dropped]
    findings = [f for f in run_policies(plan_graph(regs, 3, cloud.approved_images), catalog()).findings
                if f.control == control]
    assert findings
    pointers = [f.pointer for f in findings]
    assert len(pointers) == len(set(pointers)), pointers
    assert not any("alicloud-offsite" in p for p in pointers), pointers
