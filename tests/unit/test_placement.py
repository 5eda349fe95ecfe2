"""Where core medical data may live, how long records are kept, and what an on-prem layout can
build: the relabelling and layout attacks of the spec, each shown to fail."""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
import yaml

from mlps.checks import REGISTRY, placement
from mlps.checks.placement import record_keeping_days, record_reason
from mlps.controls import catalog
from mlps.errors import InputError
from mlps.report import Report, build_section, render
from mlps.spec import load_spec
from mlps.spec.placement import layout_problems
from mlps.validate import validate

ROOT = Path(__file__).resolve().parents[2]
HYBRID = ROOT / "Pulumi.hybrid-prod.yaml"
ONPREM = ROOT / "Pulumi.onprem-lab.yaml"


def run(name: str, spec: dict[str, Any]) -> list[tuple[str, str, str]]:
    return list(REGISTRY[name](spec, 3))


def spec_of(path: Path) -> dict[str, Any]:
    return dict(yaml.safe_load(path.read_text(encoding="utf-8"))["config"]["mlps:environment"])


def write(tmp_path: Path, spec: dict[str, Any]) -> Path:
    out = tmp_path / "spec.yaml"
    out.write_text(yaml.safe_dump(spec, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return out


# --- what counts as core data ---------------------------------------------------------------

@pytest.mark.parametrize(("entry", "reason"), [
    ({"name": "x", "kind": "pacs"}, "kind pacs"),
    ({"name": "x", "kind": "ris"}, "kind ris"),
    ({"name": "pacs-viewer", "kind": "other"}, "name pacs-viewer"),
    ({"name": "emr_archive"}, "name emr_archive"),
    ({"name": "dicom-images"}, "name dicom-images"),
    ({"name": "crisis-line", "kind": "portal"}, None),  # "ris" inside a word names nothing
    ({"name": "registration", "kind": "registration"}, None),
    ({"name": "x", "kind": ["pacs"]}, None),
])
def test_record_systems_are_recognised_by_kind_or_name(entry: dict[str, Any],
                                                        reason: str | None) -> None:
    assert record_reason(entry) == reason


def test_relabelled_pacs_in_the_cloud_is_still_core_data() -> None:
    spec = {"layout": "hybrid", "workloads": [
        {"name": "imaging", "kind": "pacs", "data_class": "public", "placement": "cloud"}]}
    [(pointer, zh, en)] = run("core_data_onprem", spec)
    assert pointer == "/workloads/0/placement"
    assert "Personal Information Protection Law art. 28" in en and "个人信息保护法" in zh
    assert "placement: onprem" in en


def test_onprem_workload_writing_to_a_cloud_bucket_fails_whatever_the_bucket_says() -> None:
    spec = {"layout": "hybrid",
            "workloads": [{"name": "his", "kind": "his", "data_class": "core",
                           "placement": "onprem", "bucket": "scratch"}],
            "object_storage": {"buckets": [{"name": "scratch", "data_class": "public",
                                            "placement": "cloud"}]}}
    [(pointer, _, en)] = run("core_data_onprem", spec)
    assert pointer == "/object_storage/buckets/0/placement"
    assert "written by record workload his" in en


def test_cloud_layout_may_hold_core_data_in_the_cloud() -> None:
    spec = {"layout": "cloud", "workloads": [
        {"name": "his", "kind": "his", "data_class": "core", "placement": "cloud"}]}
    assert run("core_data_onprem", spec) == []


# --- core workloads inside, no internet to their port ---------------------------------------

def _zones(*ingress: dict[str, Any], kind: str = "dmz") -> list[dict[str, Any]]:
    return [{"name": "core", "kind": "core"}, {"name": "web", "kind": kind, "ingress": list(ingress)}]


def test_core_workload_in_the_dmz_and_its_internet_rule_are_both_findings() -> None:
    spec = {"zones": _zones({"from": "internet", "ports": [443]}),
            "workloads": [{"name": "pacs", "kind": "pacs", "data_class": "personal", "zone": "web",
                           "port": 8042, "tls": True},
                          {"name": "emr", "kind": "emr", "data_class": "core", "zone": "web",
                           "port": 8443, "tls": True}]}
    found = run("core_workloads_inside", spec)
    assert [p for p, _, _ in found] == ["/workloads/0/zone", "/workloads/1/zone",
                                        "/zones/1/ingress/0"]
    flow = found[-1][2]
    assert "pacs:8042, emr:8443" in flow and "remove the from-internet rule" in flow


def test_internet_rule_on_another_port_does_not_reach_the_core_workload() -> None:
    spec = {"zones": _zones({"from": "internet", "ports": [80]}, kind="application"),
            "workloads": [{"name": "lis", "kind": "lis", "data_class": "core", "zone": "web",
                           "port": 8443, "tls": True}]}
    assert run("core_workloads_inside", spec) == []


def test_internet_rule_on_the_pod_port_reaches_it() -> None:
    spec = {"zones": _zones({"from": "internet", "ports": [8042]}, kind="application"),
            "workloads": [{"name": "pacs", "kind": "pacs", "data_class": "core", "zone": "web",
                           "port": 8042}]}
    assert [p for p, _, _ in run("core_workloads_inside", spec)] == ["/zones/1/ingress/0"]


@pytest.mark.parametrize(("workload", "ports", "reached"), [
    ({}, [443], True),  # TLS by default: the Service listens on 443
    ({}, [80], False),
    ({"tls": False}, [80], True),
    ({"tls": False}, [443], False),
    ({}, [8080], True),  # the default pod port
    ({}, [8081], False),
    ({"port": 9000}, [9000], True),
    ({"port": 9000}, [8080], False),
    ({}, 443, False),  # no port list: the rule names no port to reach
])
def test_internet_rule_reaches_the_pod_port_or_the_service_port(
        workload: dict[str, Any], ports: Any, reached: bool) -> None:
    spec = {"zones": _zones({"from": "internet", "ports": ports}, kind="application"),
            "workloads": [{"name": "lis", "kind": "lis", "zone": "web", **workload}]}
    found = run("core_workloads_inside", spec)
    assert [p for p, _, _ in found] == (["/zones/1/ingress/0"] if reached else [])
    assert all("zone web " in en for _, _, en in found)


# --- record keeping -------------------------------------------------------------------------

def test_keeping_period_follows_the_longer_configured_period_never_below_the_law() -> None:
    assert record_keeping_days({}) == 30 * 365
    assert record_keeping_days({"record_keeping": {"inpatient_years": 10}}) == 30 * 365
    assert record_keeping_days({"record_keeping": {"inpatient_years": 40}}) == 40 * 365


def test_periods_below_the_law_are_findings_naming_the_law() -> None:
    found = run("records_kept_long_enough",
                {"record_keeping": {"outpatient_years": 14, "inpatient_years": 29}})
    assert [p for p, _, _ in found] == ["/record_keeping/outpatient_years",
                                        "/record_keeping/inpatient_years"]
    assert all("art. 29" in en and "第二十九条" in zh for _, zh, en in found)


def test_buckets_of_records_are_locked_for_the_whole_period() -> None:
    spec = {"record_keeping": {"inpatient_years": 35},
            "workloads": [{"name": "viewer", "kind": "pacs", "data_class": "core",
                           "bucket": "study-store"}],
            "object_storage": {"buckets": [
                {"name": "study-store", "data_class": "public",
                 "object_lock": {"mode": "COMPLIANCE", "retention_days": 10950}},
                {"name": "emr-backup", "data_class": "core", "object_lock": {"mode": "none"}},
                {"name": "web-assets", "data_class": "public",
                 "object_lock": {"mode": "none"}}]}}
    found = run("records_kept_long_enough", spec)
    assert [p for p, _, _ in found] == ["/object_storage/buckets/0/object_lock/retention_days",
                                        "/object_storage/buckets/1/object_lock/mode"]
    assert "12775" in found[0][2] and "COMPLIANCE" in found[1][2]


@pytest.mark.parametrize(("mode", "fails"), [("COMPLIANCE", False), ("GOVERNANCE", True),
                                           (None, False)])  # no mode: COMPLIANCE by default
def test_a_record_bucket_needs_a_compliance_lock(mode: str | None, fails: bool) -> None:
    """GOVERNANCE can be lifted by a privileged user, so it keeps no record."""
    lock: dict[str, Any] = {"retention_days": 10950}
    if mode:
        lock["mode"] = mode
    spec = {"workloads": [{"name": "pacs", "kind": "pacs", "bucket": "b"}],
            "object_storage": {"buckets": [{"name": "b", "data_class": "core",
                                            "object_lock": lock}]}}
    found = run("records_kept_long_enough", spec)
    assert [p for p, _, _ in found] == (["/object_storage/buckets/0/object_lock/mode"]
                                        if fails else [])
    if fails:
        assert "GOVERNANCE lock" in found[0][2] and "COMPLIANCE" in found[0][2]
        assert "art. 29" in found[0][2] and "第二十九条" in found[0][1]


def test_a_bucket_is_a_record_bucket_by_what_writes_to_it_not_by_its_name() -> None:
    """The audit renamed his-backup to nightly-dumps, labelled it personal and locked it 30
    days: as long as HIS writes there it holds records."""
    spec = {"workloads": [{"name": "his", "kind": "his", "data_class": "core",
                           "bucket": "nightly-dumps"}],
            "object_storage": {"buckets": [{"name": "nightly-dumps", "data_class": "personal",
                                            "object_lock": {"mode": "COMPLIANCE",
                                                            "retention_days": 30}}]}}
    [(pointer, _, en)] = run("records_kept_long_enough", spec)
    assert pointer == "/object_storage/buckets/0/object_lock/retention_days"
    assert "written by record workload his" in en and "locks them only 30 days" in en


BACKED_UP = {"workloads": [{"name": "his", "kind": "his", "data_class": "core"},
                           {"name": "emr", "kind": "other", "data_class": "core",
                            "bucket": "archive"},
                           {"name": "portal", "kind": "portal", "data_class": "personal"}],
             "object_storage": {"buckets": [{"name": "archive", "data_class": "core",
                                             "object_lock": {"mode": "COMPLIANCE",
                                                             "retention_days": 20000}}]}}


@pytest.mark.parametrize(("days", "years", "fails"), [
    (10950, None, False), (10949, None, True), (30, None, True), (365, None, True),
    (None, None, True),                    # the default 180 days
    (12775, 35, False), (12774, 35, True),  # a longer configured period raises the floor
])
def test_records_kept_only_by_backups_need_backups_kept_the_whole_period(
        days: int | None, years: int | None, fails: bool) -> None:
    """HIS writes to no bucket: its records live in its database, and only the backups outlive
    a deletion, so backup.retention_days must reach the keeping period. EMR archives to a
    locked bucket and the portal holds no records: neither is named."""
    spec: dict[str, Any] = dict(BACKED_UP)
    if days is not None:
        spec["backup"] = {"retention_days": days}
    if years is not None:
        spec["record_keeping"] = {"inpatient_years": years}
    found = run("records_kept_long_enough", spec)
    assert [p for p, _, _ in found] == (["/backup/retention_days"] if fails else [])
    if fails:
        assert found[0][2].startswith("Workloads his hold medical records and write to no bucket")
        assert "emr" not in found[0][2].split(",")[0] and "portal" not in found[0][2]
        assert "backup.retention_days" in found[0][2] and "art. 29" in found[0][2]


def test_no_record_workload_without_a_bucket_leaves_backup_retention_to_ces_bak_01() -> None:
    spec = {**BACKED_UP, "workloads": BACKED_UP["workloads"][1:],
            "backup": {"retention_days": 30}}
    assert run("records_kept_long_enough", spec) == []


def test_records_kept_only_by_backups_need_backups_at_all() -> None:
    spec = {**BACKED_UP, "backup": {"local": {"enabled": False}, "retention_days": 10950}}
    [(pointer, zh, en)] = run("records_kept_long_enough", spec)
    assert pointer == "/backup/local/enabled"
    assert "local backups are off" in en and "关闭了本地备份" in zh


@pytest.mark.parametrize("example", sorted(ROOT.glob("Pulumi.*.yaml")), ids=lambda p: p.name)
def test_the_examples_keep_records_for_the_whole_period(example: Path) -> None:
    if example.name == "Pulumi.yaml":
        return
    assert run("records_kept_long_enough", spec_of(example)) == []
    assert spec_of(example)["backup"]["retention_days"] >= record_keeping_days({})


# --- layout changes -------------------------------------------------------------------------

def test_leaving_the_cloud_with_cloud_parts_left_is_an_input_error(tmp_path: Path) -> None:
    text = HYBRID.read_text(encoding="utf-8").replace("    layout: hybrid\n", "    layout: onprem\n")
    path = tmp_path / "Pulumi.left.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_spec(path)
    lines = [caught.value.line(), *caught.value.more]
    pointers = ["/zones/5/placement", "/zones/6/placement", "/hosts/14/zone",
                "/workloads/3/placement", "/workloads/4/placement",
                "/object_storage/buckets/2/placement"]
    assert len(lines) == len(pointers)
    for line, pointer in zip(lines, pointers, strict=True):
        assert str(path) in line and f"({pointer})" in line and "line " in line
    assert "zone 'dmz'" in lines[0] and "host 'cloud-bastion-1'" in lines[2]
    assert "bucket 'registration-attachments'" in lines[5]

    done = subprocess.run([sys.executable, "-m", "mlps", "validate", str(path)],
                          capture_output=True, text=True, timeout=120, cwd=ROOT, check=False)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert sum("layout is onprem" in ln for ln in done.stderr.splitlines()) == len(pointers)


def test_onprem_layout_with_onprem_parts_loads() -> None:
    assert load_spec(ONPREM).effective["layout"] == "onprem"
    assert layout_problems(spec_of(ONPREM)) == []


def test_hybrid_and_cloud_layouts_may_place_parts_in_the_cloud() -> None:
    for name in ("hybrid-prod", "cloud-dev", "private-cloud"):
        assert layout_problems(spec_of(ROOT / f"Pulumi.{name}.yaml")) == []


# --- not applicable, in every format --------------------------------------------------------

def _report(path: Path) -> Report:
    loaded = load_spec(path)
    result = validate(loaded)
    cat = catalog()
    section = build_section(cat, loaded.name, loaded.file, result.level, result.findings,
                            {"spec": result.checked}, layout=loaded.effective["layout"])
    return Report(sections=[section])


def test_cloud_controls_are_not_applicable_on_prem_in_every_format() -> None:
    report = _report(ONPREM)
    statuses = {r.control.id: r.status for r in report.sections[0].controls}
    cloud = {r.control.id for r in report.sections[0].controls if r.control.family == "cloud"}
    assert cloud and {statuses[c] for c in cloud} == {"not_applicable"}
    assert statuses["CLD-DATA-01"] == "not_applicable" and statuses["CNS-ZONE-03"] == "pass"

    data = json.loads(render(report, "json"))
    assert {c["status"] for c in data["controls"] if c["id"] in cloud} == {"not_applicable"}
    assert data["summary"]["environments"][0]["controls"]["not_applicable"] == len(cloud)

    sarif = json.loads(render(report, "sarif"))
    na = {r["ruleId"] for r in sarif["runs"][0]["results"] if r.get("kind") == "notApplicable"}
    assert na == cloud

    junit = ET.fromstring(render(report, "junit"))
    skipped = {case.get("name", "").split()[0] for case in junit.iter("testcase")
               if any((s.get("message") or "").startswith("not applicable")
                      for s in case.iter("skipped"))}
    assert skipped == cloud

    html = render(report, "html")
    assert html.count("不适用 / not applicable</span>") == len(cloud)
    assert f"{len(cloud)} 不适用 not applicable" in html

    text = render(report, "text")
    row = next(ln for ln in text.splitlines() if ln.startswith("Cloud computing extension"))
    assert [c.strip() for c in row.split("│")[1:]].count(str(len(cloud))) == 1


def test_hybrid_layout_still_checks_the_cloud_controls() -> None:
    statuses = {r.control.id: r.status for r in _report(HYBRID).sections[0].controls}
    assert statuses["CLD-DATA-01"] == "pass" and "not_applicable" not in statuses.values()


def test_core_workload_saying_onprem_in_a_cloud_zone_is_a_finding() -> None:
    spec = {"layout": "hybrid",
            "zones": [{"name": "cloud-core", "kind": "core", "placement": "cloud"}],
            "workloads": [{"name": "emr", "kind": "emr", "data_class": "core",
                           "placement": "onprem", "zone": "cloud-core"}]}
    [(pointer, _, en)] = run("core_data_onprem", spec)
    assert pointer == "/workloads/0/zone" and "cloud zone cloud-core" in en


@pytest.mark.parametrize(("image", "tokens"), [
    ("registry.hospital.local/orthanc/orthanc:1.12.5", {"orthanc"}),
    ("images.hospital.local:5000/portal/registration:2.4.0", {"portal", "registration"}),
    ("localhost/emr/server@sha256:abc", {"emr", "server"}),
    ("dcm4che/dcm4chee-arc-psql:5.31.0", {"dcm4che", "dcm4chee", "arc", "psql"}),
    (None, set()),
])
def test_repository_tokens_leave_out_registry_tag_and_digest(image: object, tokens: set[str]) -> None:
    assert placement.repository_tokens(image) == tokens


@pytest.mark.parametrize(("entry", "reason"), [
    ({"name": "viewer", "kind": "other", "image": "r.local/orthanc/orthanc:1"},
     "image r.local/orthanc/orthanc:1"),
    ({"name": "viewer", "kind": "other", "port": 104}, "port 104, DICOM"),
    ({"name": "viewer", "kind": "other", "port": 105}, None),
    ({"name": "viewer", "kind": "other", "port": 2575}, "port 2575, HL7 MLLP"),
    ({"name": "viewer", "kind": "other", "port": True}, None),
    ({"name": "medrec", "kind": "other"}, "name medrec"),
    ({"name": "portal", "kind": "portal", "image": "images.local/portal/web:1", "port": 8443}, None),
    ({"name": "avatar-resizer", "kind": "other", "image": "r.local/tools/image-resizer:1.0"}, None),
    ({"name": "viewer", "kind": "other", "port": 2762}, "port 2762, DICOM over TLS"),
    ({"name": "pacs2", "kind": "other"}, "name pacs2"),
    ({"name": "emrv3", "kind": "other"}, "name emrv3"),
    ({"name": "k8s-dashboard", "kind": "other"}, None),
])
def test_what_a_workload_runs_or_speaks_shows_a_record_system(entry: dict[str, object],
                                                              reason: str | None) -> None:
    assert placement.record_reason(entry) == reason
