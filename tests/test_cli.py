"""The commands as users run them: exit codes, every format, reports with evidence and bundles."""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from mlps.bundle import verify_manifest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ["Pulumi.hybrid-prod.yaml", "Pulumi.onprem-lab.yaml", "Pulumi.cloud-dev.yaml",
            "Pulumi.private-cloud.yaml"]


def mlps(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "mlps", *args], capture_output=True, text=True,
                          cwd=cwd, timeout=300)


@pytest.mark.parametrize("example", EXAMPLES)
def test_examples_are_compliant_at_level_3(example: str) -> None:
    proc = mlps("validate", example, "--level", "3")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "compliant 符合" in proc.stdout


def test_a_finding_exits_1_and_names_file_line_and_control(tmp_path: Path) -> None:
    text = (ROOT / EXAMPLES[0]).read_text(encoding="utf-8").replace("mfa: totp", "mfa: none")
    spec = tmp_path / "Pulumi.bad.yaml"
    spec.write_text(text, encoding="utf-8")
    proc = mlps("validate", str(spec), "--format", "json")
    assert proc.returncode == 1
    data = json.loads(proc.stdout)
    line = text.splitlines().index("      mfa: none") + 1
    assert any(f["control"] == "CES-AUTH-06" and f["line"] == line and f["file"] == str(spec)
               for f in data["findings"])


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "junit", "html"])
def test_every_format_is_written_to_a_file(tmp_path: Path, fmt: str) -> None:
    out = tmp_path / f"report.{fmt}"
    proc = mlps("validate", *EXAMPLES, "--format", fmt, "--output", str(out))
    assert proc.returncode == 0, proc.stderr
    text = out.read_text(encoding="utf-8")
    if fmt in ("json", "sarif"):
        json.loads(text)
    elif fmt == "junit":
        assert len(ET.fromstring(text).findall("testsuite")) == len(EXAMPLES)
    elif fmt == "html":
        assert text.startswith("<!DOCTYPE html>") and "hybrid-prod" in text
    else:
        assert "0 failing" in text


def test_controls_lists_the_catalog_per_level() -> None:
    all_controls = json.loads(mlps("controls", "--format", "json").stdout)
    level2 = json.loads(mlps("controls", "--level", "2", "--format", "json").stdout)
    assert len(level2) < len(all_controls)
    two_factor = next(c for c in all_controls if c["id"] == "CES-AUTH-06")
    assert two_factor["levels"] == [3, 4] and two_factor["clause"] == "8.1.4.1 d"
    assert "CES-AUTH-06" not in {c["id"] for c in level2}


def test_schemas_build_check_passes_on_a_clean_tree() -> None:
    assert mlps("schemas", "build", "--check").returncode == 0


def write_evidence(directory: Path, host: str, status: str) -> None:
    path = directory / host / "baseline.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({
        "host": host, "role": "baseline", "collected_at": "2026-11-25T08:00:00Z", "level": 3,
        "results": [
            {"control": "CES-AUTH-05", "check": "sshd PasswordAuthentication", "status": status,
             "observed": "no" if status == "pass" else "yes", "expected": "no"},
            {"control": "CES-AUDIT-01", "check": "auditd rules loaded",
             "status": "not_checkable", "detail": "no kernel audit inside a container"},
        ],
    }), encoding="utf-8")


def test_report_merges_evidence_and_writes_a_verifiable_bundle(tmp_path: Path) -> None:
    evidence = tmp_path / "evidence"
    write_evidence(evidence, "bastion-1", "pass")
    write_evidence(evidence, "core-1", "fail")
    out = tmp_path / "report"
    proc = mlps("report", "--spec", EXAMPLES[0], "--evidence", str(evidence), "--out", str(out))
    assert proc.returncode == 1, proc.stderr
    assert "on host core-1, sshd PasswordAuthentication is \"yes\"" in proc.stdout
    for name in ("report.txt", "report.json", "report.sarif", "report.junit.xml", "report.html"):
        assert (out / name).is_file()
    data = json.loads((out / "report.json").read_text(encoding="utf-8"))
    host_findings = [f for f in data["findings"] if f["checkpoint"] == "host"]
    assert [(f["control"], f["pointer"]) for f in host_findings] == [("CES-AUTH-05", "host:core-1")]
    bundle = out / "bundle"
    assert (bundle / "inputs/evidence/core-1/baseline.json").is_file()
    assert verify_manifest(bundle) == []
    assert subprocess.run(["sha256sum", "--quiet", "-c", "SHA256SUMS"], cwd=bundle).returncode == 0
    (bundle / "inputs/evidence/core-1/baseline.json").write_text("{}", encoding="utf-8")
    assert verify_manifest(bundle) == ["altered: inputs/evidence/core-1/baseline.json"]


def test_report_with_passing_evidence_is_compliant_and_replaces_its_previous_run(
        tmp_path: Path) -> None:
    evidence = tmp_path / "evidence"
    write_evidence(evidence, "bastion-1", "pass")
    out = tmp_path / "report"
    assert mlps("report", "--spec", EXAMPLES[0], "--evidence", str(evidence),
                "--out", str(out)).returncode == 0
    assert mlps("report", "--spec", EXAMPLES[0], "--evidence", str(evidence),
                "--out", str(out)).returncode == 0
    controls = json.loads((out / "report.json").read_text(encoding="utf-8"))["controls"]
    auth05 = next(c for c in controls if c["id"] == "CES-AUTH-05")
    assert auth05["status"] == "pass" and "host" in auth05["checkpoints"]


def test_report_refuses_foreign_output_dir_and_bad_evidence(tmp_path: Path) -> None:
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("keep me", encoding="utf-8")
    evidence = tmp_path / "evidence"
    write_evidence(evidence, "h1", "pass")
    proc = mlps("report", "--spec", EXAMPLES[0], "--evidence", str(evidence), "--out", str(foreign))
    assert proc.returncode == 2 and "was not written by mlps report" in proc.stderr
    assert (foreign / "notes.txt").read_text(encoding="utf-8") == "keep me"
    (evidence / "h1" / "baseline.json").write_text('{"host": "h1"}', encoding="utf-8")
    proc = mlps("report", "--spec", EXAMPLES[0], "--evidence", str(evidence),
                "--out", str(tmp_path / "new"))
    assert proc.returncode == 2 and "not valid evidence" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "new").exists()
