"""Both commands that read a spec refuse it as an input error: exit 2, the problem named on
standard error, no traceback, nothing written."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]


def assert_refused(data: dict[str, Any], tmp_path: Path, *said: str) -> None:
    """``mlps validate`` and ``mlps synth`` of stack file ``data`` exit 2 and say each of ``said``."""
    path = tmp_path / "Pulumi.refused.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    for command in (["validate", str(path)], ["synth", "--spec", str(path), "--out", str(tmp_path / "out")]):
        run = subprocess.run([str(ROOT / ".venv" / "bin" / "mlps"), *command], capture_output=True, text=True,
                             timeout=300, check=False, cwd=tmp_path)
        assert run.returncode == 2, (command, run.stdout, run.stderr)
        assert all(s in run.stderr for s in said), run.stderr
        assert "Traceback" not in run.stderr
    assert not (tmp_path / "out").exists()
