"""Checkov, the outside judge of the synthesized manifests, run offline as the project runs it."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from mlps.resources import PROJECT_DIR

CHECKOV = PROJECT_DIR / ".venv-judges" / "bin" / "checkov"
# Without these Checkov contacts outside services; the site may be air-gapped.
OFFLINE_ENV = {"CKV_SKIP_PACKAGE_UPDATE_CHECK": "true", "BC_SKIP_MAPPING": "TRUE"}


def run_checkov(directory: Path, timeout: float | None = None) -> subprocess.CompletedProcess[str]:
    """Checkov's Kubernetes checks over ``directory``, JSON on stdout, nothing downloaded."""
    return subprocess.run(  # noqa: S603  the project's own pinned judge, argv without a shell
        [str(CHECKOV), "-d", str(directory), "--framework", "kubernetes", "--skip-download",
         "--compact", "--quiet", "-o", "json"],
        capture_output=True,
        text=True,
        env={**os.environ, **OFFLINE_ENV},
        timeout=timeout,
        check=False,
    )
