"""The catalog is consistent: ids, clauses, checkpoints, checks, roles, level schemas, docs."""

from __future__ import annotations

import re
from pathlib import Path

from mlps import levels
from mlps.checks import REGISTRY
from mlps.controls import catalog

ROOT = Path(__file__).resolve().parent.parent
TECHNICAL_POINTS = ("8.1.2", "8.1.3", "8.1.4", "8.1.5", "8.2")
CONTROL_ID = r"[A-Z0-9]+-[A-Z0-9]+-\d\d"  # as in schemas/control.schema.json


def test_at_least_sixty_checkable_controls_across_the_technical_chapters() -> None:
    checkable = [c for c in catalog() if not c.manual and c.id != "MLPS-WAIVER-01"]
    assert len(checkable) >= 60
    for chapter in TECHNICAL_POINTS:
        assert any(c.clause.startswith(chapter) for c in checkable), chapter


def test_organisational_requirements_are_listed_as_manual() -> None:
    manual = [c for c in catalog() if c.manual]
    assert any(c.family == "physical" for c in manual)
    assert any(c.family == "organisation" for c in manual)


def test_clauses_follow_the_chapter_of_each_level() -> None:
    for c in catalog():
        assert set(c.clauses) == set(c.levels), f"{c.id}: clauses per level must match levels"
        for level, clause in c.clauses.items():
            assert clause.startswith(str(level + 5) + "."), f"{c.id}: {clause} at level {level}"
        if 3 in c.levels:
            assert c.clause == c.clauses[3], f"{c.id}: clause is the level-3 clause"


def test_spec_checkpoint_and_spec_rules_go_together() -> None:
    for c in catalog():
        has_rules = bool(c.spec_rules or c.spec_checks)
        if c.id != "MLPS-WAIVER-01":
            assert has_rules == ("spec" in c.checkpoints), c.id
        for rule in c.spec_rules:
            assert set(rule.levels) <= set(c.levels), f"{c.id}: rule for a level it skips"


def test_every_named_check_exists_and_is_used() -> None:
    used = {chk.name for c in catalog() for chk in c.spec_checks}
    assert used - set(REGISTRY) == set(), "checks named in the catalog but not registered"
    assert {n for n in REGISTRY if not n.startswith("tst_")} - used == set(), "unused checks"


def test_host_checkpoints_name_existing_roles() -> None:
    for c in catalog():
        assert ("host" in c.checkpoints) == bool(c.host_roles), c.id
        for role in c.host_roles:
            assert (ROOT / "roles" / role / "tasks" / "main.yml").is_file(), f"{c.id}: {role}"


def evidence_producers(role: Path) -> list[Path]:
    """Every file that decides a role's verify results: its verify task files, the templates
    they render, its modules, module utilities and filter plugins."""
    verify = sorted(role.glob("tasks/verify*.yml"))
    rendered = {role / "templates" / name for path in verify
                for name in re.findall(r"template['\"],\s*['\"]([^'\"]+)['\"]", path.read_text())}
    return sorted({*verify, *rendered, *role.glob("templates/evidence*.j2"), *role.glob("library/*.py"),
                   *role.glob("module_utils/*.py"), *role.glob("filter_plugins/*.py")})


def controls_written_by(role: Path, ids: set[str]) -> set[str]:
    """Catalog ids a role's evidence producers report: quoted, or after ``control:`` in YAML."""
    quoted = {m for path in evidence_producers(role)
              for m in re.findall(rf"(?:['\"]|\bcontrol:\s*)({CONTROL_ID})\b", path.read_text())}
    return quoted & ids


def test_every_control_a_role_verifies_names_that_role() -> None:
    cat = catalog()
    ids = {c.id for c in cat}
    missing = {
        (role.name, cid)
        for role in sorted((ROOT / "roles").iterdir())
        for cid in controls_written_by(role, ids) if role.name not in cat.controls[cid].host_roles
    }
    assert missing == set(), "add the role to the control's host roles"


def test_level_schemas_are_generated_from_the_catalog() -> None:
    assert levels.build(catalog(), check=True) == [], "run `mlps schemas build`"


def test_control_id_table_matches_the_catalog() -> None:
    text = (ROOT / "docs" / "control-ids.md").read_text(encoding="utf-8")
    rows = re.findall(rf"^\| ({CONTROL_ID}) \| ([^|]+) \| ([^|]+) \| ([^|]+) \|",
                      text, re.M)
    listed = {cid: (clause.strip(), levels.strip(), cps.strip()) for cid, clause, levels, cps in rows}
    cat = catalog()
    ids = {c.id for c in cat} - {"MLPS-WAIVER-01"}
    assert set(listed) - ids == set(), "ids in docs/control-ids.md without a catalog file"
    assert ids - set(listed) == set(), "catalog ids missing from docs/control-ids.md"
    for cid, row in listed.items():
        c = cat.controls[cid]
        assert row == (c.clause, ",".join(map(str, c.levels)), ", ".join(c.checkpoints)), cid
