"""Verify holds a host to its protection level, not only to what it was told: a baseline or bastion
given a value beyond the level's bound (a shorter password at level 3, a longer idle time, fewer
days of recordings) is judged against the bound and reports the configured value as failing.
The bounds are the roles' data (``vars/main.yml``) and agree with the law's figures in
``test_thresholds.LEGAL``, which the level schemas are tested against."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from mlps.ansible_run import run_playbook
from stacks.spec_variables import CARRIED
from tests.unit.baseline_module import ROOT, load, load_path, load_utils
from tests.unit.test_thresholds import LEGAL

for _name in ("baseline_probe_host", "nft_ruleset", "nft_admission", "nft_egress", "baseline_probe_accounts",
              "baseline_probe_firewall", "baseline_probe_integrity", "baseline_probe_privilege",
              "baseline_probe_sessions"):
    load_utils(_name)
FLOORS = load_utils("level_floors")
PROBE = load("baseline_probe")
BASTION = load_path(ROOT / "roles" / "bastion" / "library" / "bastion_probe.py", "bastion_probe")


def floors(role: str) -> dict[int, dict[str, dict[str, Any]]]:
    data = yaml.safe_load((ROOT / "roles" / role / "vars" / "main.yml").read_text(encoding="utf-8"))
    return {int(level): bounds for level, bounds in data[f"{role}__level_floors"].items()}


BOUNDS = [(role, level, key, rule) for role in ("baseline", "bastion")
          for level, bounds in floors(role).items() for key, rule in bounds.items()]


def _keyword(rule: dict[str, Any]) -> str:
    return "minimum" if "minimum" in rule else "maximum"


@pytest.mark.parametrize(("role", "level", "key", "rule"), BOUNDS,
                         ids=[f"{r}-{lv}-{k}" for r, lv, k, _ in BOUNDS])
def test_each_bound_is_the_laws_figure_for_its_spec_field(role: str, level: int, key: str,
                                                          rule: dict[str, Any]) -> None:
    keyword = _keyword(rule)
    assert LEGAL[(rule["control"], rule["spec"], keyword)][level] == rule[keyword]


@pytest.mark.parametrize("role", ["baseline", "bastion"])
def test_every_bounded_spec_field_carried_to_the_role_is_bounded_at_each_of_its_levels(role: str) -> None:
    carried = {"/" + "/".join(c.path) for c in CARRIED if c.role == role}
    have = {(level, rule["spec"], _keyword(rule)) for level, bounds in floors(role).items()
            for rule in bounds.values()}
    wanted = {(level, spec, keyword) for (_, spec, keyword), levels in LEGAL.items()
              if spec in carried and keyword in ("minimum", "maximum") for level in levels}
    assert wanted - have == set()


@pytest.mark.parametrize(("role", "level", "key", "rule"), BOUNDS,
                         ids=[f"{r}-{lv}-{k}" for r, lv, k, _ in BOUNDS])
def test_a_value_at_the_bound_passes_and_one_step_beyond_fails_and_is_tightened(
        role: str, level: int, key: str, rule: dict[str, Any]) -> None:
    keyword = _keyword(rule)
    bound = rule[keyword]
    beyond = bound - 1 if keyword == "minimum" else bound + 1
    stricter = bound + 1 if keyword == "minimum" else bound - 1
    cases = ((bound, "pass", bound), (stricter, "pass", stricter), (beyond, "fail", bound))
    for given, status, judged in cases:
        exp, [found] = FLOORS.at_floors({key: given}, {key: rule}, level)
        assert exp[key] == judged
        assert (found["control"], found["status"], found["observed"]) == (rule["control"], status, given)
        assert found["expected"] == f"{'>=' if keyword == 'minimum' else '<='} {bound}"


@pytest.mark.parametrize(("expect", "rule"), [
    ({}, {"control": "CES-AUTH-01", "minimum": 12}),                        # no such value
    ({"password_min_length": 8}, {"control": "CES-AUTH-01", "least": 12}),  # no bound
    ({"password_min_length": "eight"}, {"control": "CES-AUTH-01", "minimum": 12}),
])
def test_a_bound_it_cannot_apply_is_an_error_not_a_pass(expect: dict[str, Any], rule: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        FLOORS.at_floors(expect, {"password_min_length": rule}, 3)


def _auth_files(minlen: int) -> dict[str, str]:
    return {
        "/etc/security/pwquality.conf": f"minlen = {minlen}\nminclass = 3\n",
        "/etc/pam.d/common-password": "password requisite pam_pwquality.so\n"
                                      "password required pam_pwhistory.so remember=5\n",
        "/etc/pam.d/common-auth": "auth required pam_faillock.so preauth\n"
                                  "auth [default=die] pam_faillock.so authfail\n",
        "/etc/login.defs": "PASS_MAX_DAYS 90\n",
        "/etc/security/faillock.conf": "deny = 5\nunlock_time = 900\n",
    }


@pytest.mark.parametrize(("configured", "on_host", "passes"), [
    (12, 12, True),   # level 3 as the level asks
    (8, 8, False),    # told 8 at level 3 and set up so: the host fails
    (8, 12, True),    # told 8, but the host has the level's 12
    (14, 12, False),  # told more than the level: held to what it was told
])
def test_the_baseline_judges_a_host_told_a_short_password_against_level_3(
        monkeypatch: pytest.MonkeyPatch, configured: int, on_host: int, passes: bool) -> None:
    files = _auth_files(on_host)
    monkeypatch.setattr(PROBE, "read", lambda path: files.get(path, ""))
    given = {"level": 3, "password_min_length": configured, "password_min_classes": 3, "password_history": 5,
             "password_max_age_days": 90, "lockout_attempts": 5, "lockout_unlock_seconds": 900,
             "pam_password_file": "/etc/pam.d/common-password", "pam_auth_file": "/etc/pam.d/common-auth"}
    bound = floors("baseline")[3]["password_min_length"]
    exp, bounded = FLOORS.at_floors(given, {"password_min_length": bound}, 3)
    [minlen] = [r for r in PROBE.check_auth(exp) if r["check"] == "pwquality minlen"]
    assert minlen["status"] == ("pass" if passes else "fail")
    assert bounded[0]["status"] == ("pass" if configured >= 12 else "fail")


@pytest.mark.parametrize(("retention", "status"), [(180, "pass"), (179, "fail")])
def test_the_bastion_keeps_recordings_at_least_the_level_3_bound(
        monkeypatch: pytest.MonkeyPatch, retention: int, status: str) -> None:
    """Told to keep 179 days of session recordings at level 3, with logrotate keeping 179: fail."""
    rotation = f"/var/log/mlps/sessions/*.log {{\n  daily\n  rotate {retention}\n}}\n"
    files = {"/etc/logrotate.d/mlps-bastion": rotation}
    monkeypatch.setattr(BASTION, "read", lambda path: files.get(path, ""))
    exp, _ = FLOORS.at_floors({"retention_days": retention},
                              {"retention_days": floors("bastion")[3]["retention_days"]}, 3)
    assert exp["retention_days"] == 180
    exp.update(session_recording=False, command_audit=False, recording_dir="/nonexistent",
               admin_groups={"audit": "audadm"})
    found = [r for r in BASTION.check_recording(exp) if r["control"] == "SMC-CEN-04"]
    assert found and {r["status"] for r in found} == {status}


LOG_AUDIT_JUDGE = ROOT / "tests" / "unit" / "playbooks" / "log_audit_judge.yml"
# case -> (level, configured disk alarm threshold, SMC-CEN-07 status)
DISK_CASES = {"l3-at-90": (3, 90, "pass"), "l3-at-91": (3, 91, "fail"), "l4-at-91": (4, 91, "fail"),
              "l2-at-95": (2, 95, "pass")}


def test_the_audit_servers_bounds_are_the_laws_figures() -> None:
    path = ROOT / "roles" / "log_audit_server" / "vars" / "main.yml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    retention = {level: days for (_, spec, _), levels in LEGAL.items() if spec == "/log_audit/retention_days"
                 for level, days in levels.items()}
    assert data["log_audit_server_min_retention_days"] == retention
    assert data["log_audit_server_max_disk_alert_percent"] == LEGAL[
        ("SMC-CEN-07", "/log_audit/disk_alert_percent", "maximum")]


def test_a_disk_alarm_later_than_the_level_allows_fails_verify(tmp_path: Path) -> None:
    """The role's own evidence template, run by Ansible on canned observations of an armed alarm:
    at level 3 an alarm at 91 % fails (GB/T 28448: 90 %), at level 2 95 % passes."""
    inventory = tmp_path / "inventory.yml"
    inventory.write_text(yaml.safe_dump({"all": {"children": {"judged": {"hosts": {
        case: {"judged_level": level, "judged_percent": percent}
        for case, (level, percent, _) in DISK_CASES.items()}}}}}), encoding="utf-8")
    run = run_playbook(LOG_AUDIT_JUDGE, inventory, extra_vars={
        "judged_dir": str(tmp_path), "ansible_python_interpreter": sys.executable})
    assert run.ok, run.output[-4000:]
    for case, (_, _, status) in DISK_CASES.items():
        results = json.loads((tmp_path / f"{case}.json").read_text(encoding="utf-8"))
        [disk] = [r for r in results if r["check"] == "disk-space alarm armed on the store"]
        assert disk["status"] == status, (case, disk)


STRICTEST = {"control": "CES-AUTH-03", "minimum": 600, "zero": "strictest"}


@pytest.mark.parametrize(("key", "rule", "given", "judged", "status"), [
    # 0 turns lockout and idle limits off: beyond any maximum
    ("lockout_attempts", {"control": "CES-AUTH-03", "maximum": 5}, 0, 5, "fail"),
    ("idle_timeout_seconds", {"control": "CES-AUTH-04", "maximum": 600}, 0, 600, "fail"),
    ("idle_timeout_seconds", {"control": "CES-AUTH-04", "maximum": 600}, -1, 600, "fail"),
    # faillock's unlock_time 0 (only an administrator unlocks) is stricter than any minimum
    ("lockout_unlock_seconds", STRICTEST, 0, 0, "pass"),
    ("lockout_unlock_seconds", STRICTEST, 1, 600, "fail"),
    ("lockout_unlock_seconds", {"control": "CES-AUTH-03", "minimum": 600}, 0, 600, "fail"),
])
def test_zero_is_judged_by_what_it_means(key: str, rule: dict[str, Any], given: int, judged: int,
                                         status: str) -> None:
    exp, [found] = FLOORS.at_floors({key: given}, {key: rule}, 3)
    assert (exp[key], found["status"]) == (judged, status)


@pytest.mark.parametrize("bounds", [["password_min_length"], "password_min_length",
                                    {"password_min_length": 12}])
def test_bounds_not_shaped_as_mappings_are_an_error(bounds: Any) -> None:
    with pytest.raises(ValueError):
        FLOORS.at_floors({"password_min_length": 8}, bounds, 3)


def _bastion_pam(deny: int, unlock: int) -> str:
    line = f"pam_faillock.so {{}} silent deny={deny} unlock_time={unlock}"
    return (f"auth required {line.format('preauth')}\nauth required pam_google_authenticator.so\n"
            f"auth [default=die] {line.format('authfail')}\n")


@pytest.mark.parametrize(("deny", "unlock", "host", "told"), [
    (5, 900, "pass", "pass"),
    (5, 0, "pass", "pass"),  # never unlocks
    (0, 900, "fail", "fail"),  # deny=0 never locks
    (5, 1, "fail", "fail"),  # unlocked after 1 s
    (6, 900, "fail", "fail"),  # one try beyond level 3
])
def test_the_bastion_lockout_holds_at_level_3_whatever_it_was_told(
        deny: int, unlock: int, host: str, told: str) -> None:
    """The bastion set up as it was told (deny, unlock_time): the PAM check and the bounds."""
    given = {"lockout_attempts": deny, "lockout_unlock_seconds": unlock}
    exp, bounded = FLOORS.at_floors(given, {k: floors("bastion")[3][k] for k in given}, 3)
    [lockout] = [r for r in BASTION.check_pam({**exp, "totp_enabled": False}, _bastion_pam(deny, unlock))
                 if r["control"] == "CES-AUTH-03"]
    assert lockout["status"] == host
    assert ("fail" if "fail" in {r["status"] for r in bounded} else "pass") == told
