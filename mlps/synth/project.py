"""Where the Pulumi project is and how its program and policy pack become importable."""

from __future__ import annotations

import sys
from pathlib import Path

from mlps.errors import InputError


def project_root(start: Path | None = None) -> Path:
    """The nearest directory holding Pulumi.yaml, from ``start`` (default: cwd) upwards."""
    here = (start or Path.cwd()).resolve()
    for candidate in (here, *here.parents):
        if (candidate / "Pulumi.yaml").is_file():
            return candidate
    raise InputError(
        str(here),
        "no Pulumi.yaml here or above",
        "run mlps synth inside the mlps project (where Pulumi.yaml is)",
    )


def importable(root: Path) -> None:
    """Put the project root on sys.path so ``stacks`` and ``policy`` import as packages."""
    path = str(root)
    if path not in sys.path:
        sys.path.insert(0, path)


def stack_file(root: Path, stack: str) -> Path:
    path = root / f"Pulumi.{stack}.yaml"
    if not path.is_file():
        known = sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in root.glob("Pulumi.*.yaml"))
        raise InputError(
            str(path), f"no stack named {stack!r}", f"use one of: {', '.join(known) or '(none)'}"
        )
    return path
