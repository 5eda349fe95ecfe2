"""The auditor's evidence bundle: every input and report, with a SHA-256 manifest."""

from __future__ import annotations

import hashlib
import shutil
import tempfile
from pathlib import Path

from mlps.errors import InputError

MANIFEST = "SHA256SUMS"


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


def staging_dir(out: Path) -> Path:
    """A fresh directory beside ``out`` to build into, refusing to clobber foreign data."""
    if out.exists() and not out.is_dir():
        raise InputError(str(out), "exists and is not a directory", "choose another --out")
    if out.is_dir() and any(out.iterdir()) and not (out / "bundle" / MANIFEST).is_file():
        raise InputError(str(out), "exists, is not empty and is not an mlps report",
                         "choose an empty or new --out directory")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        return Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    except OSError as exc:
        raise InputError(str(out), f"cannot write here: {exc.strerror}",
                         "choose a writable --out") from None


def publish(staging: Path, out: Path) -> None:
    """Replace ``out`` (a previous report, if any) by ``staging`` in one rename."""
    if out.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old.", dir=out.parent))
        out.replace(old / "x")
        staging.replace(out)
        shutil.rmtree(old, ignore_errors=True)
    else:
        staging.replace(out)


def copy_input(src: Path, dest_dir: Path, rel: str) -> None:
    target = dest_dir / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src, target)
