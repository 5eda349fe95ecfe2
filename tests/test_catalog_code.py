"""Catalog and code agree in both directions, read statically (no lab): every role a control's
``host:`` names reports that control in its evidence, every plan policy a control names exists
in policy/ and reports that control, and every role the catalog names is one the playbooks run.
The other directions live in tests/test_catalog.py (every control a role reports names the
role; every named spec check is registered in mlps.checks and used)."""

from __future__ import annotations

from pathlib import Path

from mlps.controls import catalog
from mlps.roles import names
from policy.policies import POLICIES
from tests.test_catalog import ROOT, controls_written_by, evidence_producers

ROLES = ROOT / "roles"


def reported() -> dict[str, set[str]]:
    ids = {c.id for c in catalog()}
    return {role: controls_written_by(ROLES / role, ids) for role in names()}


def test_every_role_a_control_names_reports_that_control() -> None:
    by_role = reported()
    silent = {(c.id, role) for c in catalog() for role in c.host_roles
              if c.id not in by_role.get(role, set())}
    assert silent == set(), "the role's verify never reports the control: fix the catalog or the role"


def test_every_role_named_by_the_catalog_is_run_and_verified_by_the_playbooks() -> None:
    named = {role for c in catalog() for role in c.host_roles}
    assert named <= set(names())
    assert all(reported()[role] for role in names()), "a role whose verify reports nothing"


def test_every_plan_policy_a_control_names_exists_and_reports_it() -> None:
    policies = {p.name: set(p.controls) for p in POLICIES}
    for c in catalog():
        assert ("plan" in c.checkpoints) == bool(c.plan), c.id
        for name in c.plan:
            assert name in policies, f"{c.id}: no policy {name} in policy/"
            assert c.id in policies[name], f"{c.id}: policy {name} reports {sorted(policies[name])}"


def test_every_policy_is_named_by_the_controls_it_reports() -> None:
    cat = catalog()
    for policy in POLICIES:
        for cid in policy.controls:
            assert cid in cat.controls, f"{policy.name}: {cid} is not in the catalog"
            assert policy.name in cat.controls[cid].plan, f"{cid}: add {policy.name} to plan"


def test_the_static_reading_sees_every_way_a_role_reports(tmp_path: Path) -> None:
    """Ids quoted in Python or Jinja, after ``control:`` in YAML, in a template a verify task
    renders or a filter plugin; never a task name or a comment."""
    role = tmp_path / "r"
    (role / "tasks").mkdir(parents=True)
    (role / "templates").mkdir()
    (role / "filter_plugins").mkdir()
    (role / "tasks" / "verify.yml").write_text(
        "- name: CES-AUDIT-01 | a task name is not a result\n"
        "  ansible.builtin.set_fact:\n"
        "    r: \"{{ lookup('ansible.builtin.template', 'results.j2') | from_yaml }}\"\n"
        "    s: \"{{ {'control': 'CES-AUDIT-02'} }}\"\n")
    (role / "templates" / "results.j2").write_text("# CES-AUDIT-03 in a comment\n- control: CES-AUDIT-04\n")
    (role / "filter_plugins" / "f.py").write_text('X = {"control": "CES-ACL-01"}\n')
    assert {p.name for p in evidence_producers(role)} == {"verify.yml", "results.j2", "f.py"}
    ids = {c.id for c in catalog()}
    assert controls_written_by(role, ids) == {"CES-AUDIT-02", "CES-AUDIT-04", "CES-ACL-01"}
