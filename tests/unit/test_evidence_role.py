"""One evidence convention: the evidence role, which every role's verify entry ends with, writes
``<evidence_dir>/<host>/<role>.json`` in the shape of schemas/evidence.schema.json, directory
0750 and file 0640, and refuses to run without ``-e evidence_dir``. Run on the controller alone
(tests/unit/playbooks/evidence_write.yml) with canned results."""

from __future__ import annotations

import json
import stat
from pathlib import Path
from typing import Any

import yaml

from mlps.ansible_run import run_playbook
from mlps.controls import catalog
from mlps.evidence import load_evidence
from mlps.resources import load_schema
from mlps.schema_engine import compile_schema

ROOT = Path(__file__).resolve().parents[2]
PLAY = ROOT / "tests" / "unit" / "playbooks" / "evidence_write.yml"
RESULTS: list[dict[str, Any]] = [
    {"control": "CES-AUDIT-04", "check": "disk queue size", "status": "fail",
     "observed": 1000, "expected": ">= 100000"},
    {"control": "CES-AUDIT-04", "check": "retry without limit", "status": "pass"},
]


def _inventory(tmp_path: Path, host: str, level: int) -> Path:
    path = tmp_path / "hosts.yml"
    path.write_text(yaml.safe_dump({"all": {"children": {"canned": {"hosts": {host: {
        "ansible_python_interpreter": "{{ ansible_playbook_python }}",
        "canned_role": "log_forwarder", "canned_level": level, "canned_results": RESULTS}}}}}}))
    return path


def test_evidence_role_writes_the_one_envelope_and_mode(tmp_path: Path) -> None:
    evidence = tmp_path / "evidence"
    run = run_playbook(PLAY, _inventory(tmp_path, "h1", 3), extra_vars={"evidence_dir": str(evidence)})
    assert run.ok, run.output[-3000:]
    path = evidence / "h1" / "log_forwarder.json"
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o750
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    doc = json.loads(path.read_text())
    assert list(compile_schema(load_schema("evidence")).iter_errors(doc)) == []
    assert (doc["host"], doc["role"], doc["level"], doc["results"]) == ("h1", "log_forwarder", 3, RESULTS)
    assert doc["facts"]["daemon"] == "rsyslog" and "os" in doc["facts"]
    loaded = load_evidence(evidence, catalog(), 3)
    assert [f.control for f in loaded.findings] == ["CES-AUDIT-04"]


def test_evidence_role_refuses_to_run_without_evidence_dir(tmp_path: Path) -> None:
    run = run_playbook(PLAY, _inventory(tmp_path, "h1", 3))
    assert not run.ok
    assert "evidence_dir" in run.output
    assert not any(tmp_path.rglob("*.json"))


def test_evidence_role_refuses_a_level_outside_the_standard(tmp_path: Path) -> None:
    run = run_playbook(PLAY, _inventory(tmp_path, "h1", 5), extra_vars={"evidence_dir": str(tmp_path / "e")})
    assert not run.ok and "evidence_level" in run.output
    assert not (tmp_path / "e").exists()
