"""Host evidence read in process: what a failing result says, what is kept, what is refused."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from mlps.controls import catalog
from mlps.errors import InputError
from mlps.evidence import load_evidence

CAT = catalog()
SSH = CAT.controls["CES-AUTH-05"]


def evidence(directory: Path, results: list[dict[str, Any]], host: str = "核心-1",
             role: str = "baseline") -> Path:
    path = directory / host / f"{role}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"host": host, "role": role, "level": 3,
                                "collected_at": "2026-12-01T08:00:00Z", "results": results},
                               ensure_ascii=False), encoding="utf-8")
    return path


def test_a_failing_result_is_a_host_finding_that_says_what_was_seen(tmp_path: Path) -> None:
    path = evidence(tmp_path, [{"control": "CES-AUTH-05", "check": "sshd 密码登录",
                                "status": "fail", "observed": "是", "expected": ["否"],
                                "detail": "drop-in 50-cloud.conf"}])
    host = load_evidence(tmp_path, CAT, 4)
    [f] = host.findings
    assert (f.control, f.clause, f.severity, f.checkpoint, f.pointer, f.file, f.status) == (
        "CES-AUTH-05", SSH.clause_at(4), SSH.severity, "host", "host:核心-1", str(path), "fail")
    assert f.message_en == (f'{SSH.title.en}: on host 核心-1, sshd 密码登录 is "是"; '
                            'required: ["否"] (drop-in 50-cloud.conf)')
    assert f.message_zh == (f'{SSH.title.zh}：主机 核心-1 上 sshd 密码登录 为 "是"，'
                            '要求 ["否"] (drop-in 50-cloud.conf)')
    assert (f.remediation_zh, f.remediation_en) == (SSH.remediation.zh, SSH.remediation.en)
    assert host.files == [path] and host.checked == {"CES-AUTH-05"}
    assert host.by_control == {"CES-AUTH-05": [{
        "host": "核心-1", "role": "baseline", "collected_at": "2026-12-01T08:00:00Z",
        "control": "CES-AUTH-05", "check": "sshd 密码登录", "status": "fail", "observed": "是",
        "expected": ["否"], "detail": "drop-in 50-cloud.conf"}]}


def test_without_detail_or_values_the_message_says_null(tmp_path: Path) -> None:
    evidence(tmp_path, [{"control": "CES-AUTH-05", "check": "c", "status": "fail"}])
    [f] = load_evidence(tmp_path, CAT, 3).findings
    assert f.message_en == f"{SSH.title.en}: on host 核心-1, c is null; required: null"


@pytest.mark.parametrize(("status", "checked", "finding"), [
    ("pass", True, False), ("fail", True, True),
    ("not_checkable", False, False), ("not_applicable", False, False),
])
def test_each_status(tmp_path: Path, status: str, checked: bool, finding: bool) -> None:
    evidence(tmp_path, [{"control": "CES-AUTH-05", "check": "c", "status": status}])
    host = load_evidence(tmp_path, CAT, 3)
    assert (host.checked == {"CES-AUTH-05"}) is checked
    assert bool(host.findings) is finding
    assert [e["status"] for e in host.by_control["CES-AUTH-05"]] == [status]


def test_every_result_of_every_file_is_read(tmp_path: Path) -> None:
    evidence(tmp_path, [{"control": "CES-AUTH-05", "check": "a", "status": "fail"},
                        {"control": "CES-AUTH-05", "check": "b", "status": "fail"}], host="h1")
    evidence(tmp_path, [{"control": "CES-AUTH-05", "check": "a", "status": "fail"}], host="h2")
    host = load_evidence(tmp_path, CAT, 3)
    assert [(f.pointer, f.message_en.split(", ")[1].split(" is")[0]) for f in host.findings] == [
        ("host:h1", "a"), ("host:h1", "b"), ("host:h2", "a")]


def test_a_missing_or_empty_directory_is_refused(tmp_path: Path) -> None:
    hint = "run playbooks/verify.yml with -e evidence_dir=DIR first"
    with pytest.raises(InputError) as caught:
        load_evidence(tmp_path / "nowhere", CAT, 3)
    assert (caught.value.file, caught.value.message, caught.value.hint) == (
        str(tmp_path / "nowhere"), "evidence directory not found", hint)
    with pytest.raises(InputError) as caught:
        load_evidence(tmp_path, CAT, 3)
    assert (caught.value.file, caught.value.message, caught.value.hint) == (
        str(tmp_path), "holds no evidence (<host>/<role>.json)", hint)


def test_foreign_evidence_is_refused_with_its_place(tmp_path: Path) -> None:
    path = evidence(tmp_path, [{"control": "CES-AUTH-05", "check": "c", "status": "maybe"}])
    with pytest.raises(InputError) as caught:
        load_evidence(tmp_path, CAT, 3)
    err = caught.value
    assert (err.file, err.where, err.hint) == (str(path), "/results/0/status",
                                               "see schemas/evidence.schema.json")
    assert err.message.startswith("not valid evidence: ")
    path.write_text(json.dumps({"host": "h", "role": "r", "collected_at": "x",
                                "results": [{"control": "CES-AUTH-05", "check": "c",
                                             "status": "pass"},
                                            {"control": "NOPE-XX-01", "check": "c",
                                             "status": "pass"}]}), encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_evidence(tmp_path, CAT, 3)
    err = caught.value
    assert (err.file, err.where, err.message, err.hint) == (
        str(path), "/results/1/control", "control NOPE-XX-01 is not in the catalog",
        "use an id from `mlps controls`")


def test_a_broken_file_names_itself_and_what_to_do(tmp_path: Path) -> None:
    path = evidence(tmp_path, [])
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_evidence(tmp_path, CAT, 3)
    assert caught.value.file == str(path) and caught.value.hint == "run the role's verify step again"
    path.write_text("{}", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_evidence(tmp_path, CAT, 3)
    assert (caught.value.file, caught.value.where) == (str(path), "/")
