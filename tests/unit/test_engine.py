"""The validation engine on a small catalog of its own: findings, levels, lines, waivers."""

from __future__ import annotations

import copy
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from mlps.controls import Catalog, load_catalog
from mlps.spec import LoadedSpec, load_spec, spec_from_config
from mlps.validate import validate
from mlps.waivers import WAIVER_CONTROL, load_waivers

ROOT = Path(__file__).resolve().parents[2]
HYBRID = ROOT / "Pulumi.hybrid-prod.yaml"


@pytest.fixture(scope="module")
def cat() -> Catalog:
    return load_catalog(Path(__file__).parent / "catalog_fixture")


def variant(change: Any) -> LoadedSpec:
    data = copy.deepcopy(load_spec(HYBRID).data)
    change(data)
    return spec_from_config(data, "variant.yaml")


def test_compliant_example_has_no_findings(cat: Catalog) -> None:
    assert validate(load_spec(HYBRID), cat=cat).findings == []


def test_rule_finding_names_control_clause_pointer_and_line(cat: Catalog) -> None:
    spec = load_spec(HYBRID)
    spec.effective["bastion"]["mfa"] = "none"
    [finding] = validate(spec, cat=cat).findings
    assert (finding.control, finding.clause, finding.pointer) == ("TST-MFA-01", "8.1.4.1 d",
                                                                   "/bastion/mfa")
    text = HYBRID.read_text(encoding="utf-8").splitlines()
    assert finding.line == text.index("      mfa: totp") + 1
    assert finding.file == str(HYBRID)
    assert '"none"' in finding.message_en and "totp" in finding.message_zh
    assert finding.remediation_en == "Set bastion.mfa to totp."


def test_level_decides_which_controls_apply_and_their_clause(cat: Catalog) -> None:
    spec = variant(lambda d: d["bastion"].update(mfa="none"))
    assert validate(spec, level=2, cat=cat).findings == []
    [finding] = validate(spec, level=4, cat=cat).findings
    assert finding.clause == "9.1.4.1 d"


def test_required_section_missing_points_at_the_rule_pointer(cat: Catalog) -> None:
    spec = variant(lambda d: d.pop("bastion"))
    [finding] = validate(spec, cat=cat).findings
    assert finding.pointer == "/bastion"
    assert finding.line == spec.pointer_line("")


def test_defaults_are_validated_as_built(cat: Catalog) -> None:
    # Without a log_audit section the defaults (180 days) apply: compliant.
    assert validate(variant(lambda d: d.pop("log_audit")), cat=cat).findings == []
    spec = variant(lambda d: d["log_audit"].update(retention_days=90))
    assert [f.control for f in validate(spec, cat=cat).findings] == ["TST-RET-01"]


def test_named_check_reports_like_a_rule(cat: Catalog) -> None:
    spec = variant(lambda d: d["links"][1].update(carrier=d["links"][0]["carrier"]))
    [finding] = validate(spec, cat=cat).findings
    assert (finding.control, finding.pointer, finding.checkpoint) == ("TST-CARRIER-01", "/links",
                                                                      "spec")
    assert finding.message_en.endswith("all lines share one carrier")


@pytest.mark.parametrize("engine", ["rs", "python"])
def test_both_schema_engines_agree(cat: Catalog, engine: str) -> None:
    spec = variant(lambda d: (d["bastion"].update(mfa="none"),
                              d["log_audit"].update(retention_days=30)))
    found = [(f.control, f.pointer, f.message_en) for f in
             validate(spec, cat=cat, engine=engine).findings]
    assert found == [
        ("TST-MFA-01", "/bastion/mfa",
         'Two-factor login: /bastion/mfa is "none"; required: "totp"'),
        ("TST-RET-01", "/log_audit/retention_days",
         "Log retention: /log_audit/retention_days is 30; required: at least 180"),
    ]


def write_waivers(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "waivers.yaml"
    path.write_text(body, encoding="utf-8")
    return path


def test_waived_finding_stays_visible(cat: Catalog, tmp_path: Path) -> None:
    spec = variant(lambda d: d["bastion"].update(mfa="none"))
    waivers = load_waivers(write_waivers(tmp_path, """waivers:
  - control: TST-MFA-01
    scope: /bastion
    reason: TOTP tokens are being procured; SSH keys only until then
    approver: 王强 (security administrator)
    expires: 2027-06-30
"""))
    result = validate(spec, cat=cat, waivers=waivers, today=date(2026, 11, 25))
    [finding] = result.findings
    assert finding.status == "waived" and not result.failed
    assert finding.waiver is not None and finding.waiver["approver"].startswith("王强")


def test_waiver_scope_limits_what_it_covers(cat: Catalog, tmp_path: Path) -> None:
    spec = variant(lambda d: d["bastion"].update(mfa="none"))
    waivers = load_waivers(write_waivers(tmp_path, """waivers:
  - {control: TST-MFA-01, scope: /links, reason: r, approver: 王强, expires: 2027-01-01}
"""))
    result = validate(spec, cat=cat, waivers=waivers, today=date(2026, 11, 25))
    assert [f.status for f in result.findings] == ["fail"]


def test_expired_and_malformed_waivers_are_findings(cat: Catalog, tmp_path: Path) -> None:
    spec = variant(lambda d: d["bastion"].update(mfa="none"))
    waivers = load_waivers(write_waivers(tmp_path, """waivers:
  - {control: TST-MFA-01, scope: /bastion, reason: r, approver: a, expires: 2026-01-31}
  - {control: TST-RET-01, reason: r, expires: 2099-01-01}
  - {control: NOPE-XX-01, reason: r, approver: a, expires: 2099-01-01}
  - {control: TST-RET-01, reason: r, approver: a, expires: next year}
"""))
    result = validate(spec, cat=cat, waivers=waivers, today=date(2026, 11, 25))
    statuses = sorted((f.control, f.pointer, f.status) for f in result.findings)
    assert statuses == [
        (WAIVER_CONTROL, "/waivers/0", "fail"),
        (WAIVER_CONTROL, "/waivers/1", "fail"),
        (WAIVER_CONTROL, "/waivers/2", "fail"),
        (WAIVER_CONTROL, "/waivers/3", "fail"),
        ("TST-MFA-01", "/bastion/mfa", "fail"),
    ]
    messages = " ".join(f.message_en for f in result.findings)
    assert "expired on 2026-01-31" in messages
    assert "missing 'approver'" in messages
    assert "NOPE-XX-01 is not in the catalog" in messages
    assert "is not a date" in messages
    assert result.findings[0].line == 2
