"""The audit server's alarm on a cloud's management events (SMC-CEN-07, the stand-in for a cloud
without event alerts of its own) as verify judges it: the role's own evidence template, run by
Ansible, passes only on a self-test that ran the built-in records through the installed alarm
and found the rule feeding it in place; a misplaced rule, a misjudging or missing program, or a
self-test that did not check the rule fails. Where the rule must stand is judged in Python
(tests/roles/test_log_audit_tool.py)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import yaml

from mlps.ansible_run import run_playbook
from stacks.capabilities import STAND_INS, Capability
from tests.unit.baseline_module import ROOT

JUDGE = ROOT / "tests" / "unit" / "playbooks" / "log_audit_judge.yml"
CHECK = "the cloud's management events (CADF records) raise an alert-level record"
NESTED = "the CADF rule is nested inside another condition"
CASES: dict[str, tuple[dict[str, Any], str]] = {
    "armed": ({}, "pass"),
    "rule-misplaced": (
        {"judged_cloud_events": {"rc": 1, "stdout": json.dumps({"ok": False, "rule": NESTED})}}, "fail"),
    "misjudging": ({"judged_cloud_events": {"rc": 1, "stdout": '{"ok": false, "rule": null}'}}, "fail"),
    "says-ok-exits-1": ({"judged_cloud_events": {"rc": 1, "stdout": '{"ok": true, "rule": null}'}}, "fail"),
    "rule-unchecked": ({"judged_cloud_events": {"rc": 0, "stdout": '{"ok": true}'}}, "fail"),
    "missing": ({"judged_cloud_events": {"rc": 2, "stdout": "", "stderr": "invalid choice: 'self-test'"}},
                "fail"),
}


def test_verify_fails_without_the_rule_or_with_a_wrong_classifier(tmp_path: Path) -> None:
    inventory = tmp_path / "inventory.yml"
    inventory.write_text(yaml.safe_dump({"all": {"children": {"judged": {"hosts": {
        case: {"judged_level": 3, "judged_percent": 80, **extra}
        for case, (extra, _) in CASES.items()}}}}}), encoding="utf-8")
    run = run_playbook(JUDGE, inventory, extra_vars={
        "judged_dir": str(tmp_path), "ansible_python_interpreter": sys.executable})
    assert run.ok, run.output[-4000:]
    for case, (_, status) in CASES.items():
        results = json.loads((tmp_path / f"{case}.json").read_text(encoding="utf-8"))
        [found] = [r for r in results if r["check"] == CHECK]
        assert (found["control"], found["status"]) == ("SMC-CEN-07", status), (case, found)


def test_the_stand_in_for_event_alerts_is_the_role_that_raises_them() -> None:
    assert STAND_INS[Capability.EVENT_ALERTS].role == "log_audit_server"
    assert STAND_INS[Capability.EVENT_ALERTS].control == "SMC-CEN-07"
