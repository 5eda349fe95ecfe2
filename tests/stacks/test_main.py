"""The program as the engine runs it: spec from stack config, secure values decrypted."""

from __future__ import annotations

import copy
import json
import os
import secrets
from pathlib import Path

import pytest
from synthfix import ROOT, example

from mlps.synth.mockrun import run_program
from mlps.synth.output import clean
from stacks.program import SpecViolation, main


def _decrypted(stack: str, password: str) -> dict:
    data = copy.deepcopy(example(stack).data)
    for link in data.get("links", []):
        link["bgp"]["password"] = password
    return data


def _in_root(fn):  # type: ignore[no-untyped-def]
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        return fn()
    finally:
        os.chdir(cwd)


def test_main_builds_from_config_and_masks_decrypted_secrets() -> None:
    password = secrets.token_hex(16)
    config = {"mlps:environment": _decrypted("hybrid-prod", password)}
    regs = _in_root(lambda: run_program(main, "mlps", "hybrid-prod", config))
    assert any(r.type == "mlps:network:LinkFailover" for r in regs)
    text = json.dumps([clean(r.inputs) for r in regs], ensure_ascii=False)
    assert password not in text


def test_main_gates_on_the_stack_file_as_written(tmp_path: Path) -> None:
    data = _decrypted("hybrid-prod", secrets.token_hex(16))
    data["log_audit"]["retention_days"] = 30
    stack_file = tmp_path / "Pulumi.hybrid-prod.yaml"
    stack_file.write_text(
        (ROOT / "Pulumi.hybrid-prod.yaml")
        .read_text(encoding="utf-8")
        .replace("retention_days: 180\n      transport", "retention_days: 30\n      transport"),
        encoding="utf-8",
    )
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        with pytest.raises(SpecViolation, match="SMC-CEN-04"):
            run_program(main, "mlps", "hybrid-prod", {"mlps:environment": data})
    finally:
        os.chdir(cwd)
