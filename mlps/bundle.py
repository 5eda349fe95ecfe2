"""The auditor's evidence bundle: every input and report, with a SHA-256 manifest."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from mlps.safe_input import read_bytes
from mlps.safe_output import write_new

MANIFEST = "SHA256SUMS"
REPORT = "report"
MAX_INPUT = 64 * 1024 * 1024


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_manifest(root: Path) -> Path:
    """``sha256sum -c``-compatible manifest of every file under ``root``."""
    lines = [f"{sha256(p)}  {p.relative_to(root).as_posix()}"
             for p in sorted(root.rglob("*")) if p.is_file() and p.name != MANIFEST]
    manifest = root / MANIFEST
    manifest.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return manifest


def verify_manifest(root: Path) -> list[str]:
    """Files that are missing, altered or not listed; empty when the bundle is intact."""
    manifest = root / MANIFEST
    if not manifest.is_file():
        return [f"{MANIFEST} is missing"]
    listed: dict[str, str] = {}
    for line in manifest.read_text(encoding="utf-8").splitlines():
        digest, _, rel = line.partition("  ")
        listed[rel] = digest
    problems = [f"altered: {rel}" for rel, digest in sorted(listed.items())
                if (root / rel).is_file() and sha256(root / rel) != digest]
    problems += [f"missing: {rel}" for rel in sorted(listed) if not (root / rel).is_file()]
    present = {p.relative_to(root).as_posix() for p in root.rglob("*")
               if p.is_file() and p.name != MANIFEST}
    problems += [f"not listed: {rel}" for rel in sorted(present - set(listed))]
    return problems


@dataclass(frozen=True)
class Input:
    """A file to copy into the bundle at ``rel``; with ``below``, no link under it is followed."""

    src: Path
    rel: str
    below: Path | None = None


def copy_input(item: Input, bundle: Path) -> None:
    """Copy one input (a regular file, bounded) into the bundle."""
    target = bundle / item.rel
    target.parent.mkdir(parents=True, exist_ok=True)
    write_new(target, read_bytes(item.src, MAX_INPUT, below=item.below))
