"""``mlps exit purge``: delete the source versions a passing verify vouched for, nothing else.

The manifest must match its SHA-256 file, list no problem, name the same endpoints, and the
source must hold no version the manifest does not list (nothing written since the verify).
Before each source version is deleted its target version is looked up again. Versions under
retention or legal hold are not forced (no governance bypass): they are recorded with the
date from which a later purge can delete them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

from mlps.errors import InputError
from mlps.exit.copy import protection
from mlps.exit.s3 import Client, Entry, code, versions
from mlps.exit.verify import COLUMNS, HEADER, OK
from mlps.safe_input import read_text

MANIFEST, DIGEST = "manifest.tsv", "manifest.sha256"
_LIMIT = 1 << 30


@dataclass
class Manifest:
    """A verified manifest: its endpoints and its version rows (column name → value)."""

    source: str
    target: str
    rows: list[dict[str, str]]


def load_manifest(directory: Path) -> Manifest:
    """The manifest of ``mlps exit verify --out DIR``, checked against its hash; InputError if
    it was altered, did not pass, or is not a manifest."""
    text = read_text(directory / MANIFEST, _LIMIT)
    recorded = read_text(directory / DIGEST, 4096).split()
    actual = hashlib.sha256(text.encode("utf-8")).hexdigest()
    if not recorded or recorded[0] != actual:
        raise InputError(str(directory / MANIFEST), "does not match its SHA-256 in manifest.sha256",
                         "run mlps exit verify again")
    lines = text.splitlines()
    if not lines or not lines[0].startswith(HEADER):
        raise InputError(str(directory / MANIFEST), "is not an mlps exit manifest",
                         "give the --out directory of mlps exit verify")
    header = dict(f.split("=", 1) for f in lines[0].split("\t")[1:] if "=" in f)
    rows = [dict(zip(COLUMNS, line.split("\t"), strict=False)) for line in lines[1:] if line]
    failed = [r for r in rows if r.get("status") != OK]
    if failed or not rows:
        first = failed[0] if failed else {}
        raise InputError(str(directory / MANIFEST), f"verify did not pass ({len(failed)} problem(s), "
                         f"first: {first.get('status', 'empty')} {first.get('key', '')})",
                         "copy what is missing (mlps exit run), verify again, then purge")
    return Manifest(header.get("source", ""), header.get("target", ""), rows)


def check_unchanged(src: Client, dst: Client, manifest: Manifest, bucket: str) -> set[tuple[str, str]]:
    """The source versions of ``bucket`` now; InputError if one is not in the manifest or a
    target copy it lists is gone (checked for every version before anything is deleted)."""
    rows = [r for r in manifest.rows if r["bucket"] == bucket]
    listed = {(r["key"], r["source_version"]) for r in rows}
    current = {(e.key, e.version) for group in versions(src, bucket) for e in group}
    new = sorted(current - listed)
    if new:
        raise InputError(f"s3://{bucket}", f"{len(new)} source version(s) written since the verify "
                         f"(first: {new[0][0]}@{new[0][1]})", "run mlps exit run and verify again")
    for row in rows:
        if row["source_sha256"] == "-":
            continue  # a delete marker: its place was verified, it has no content to lose
        try:
            dst.head_object(Bucket=bucket, Key=row["key"], VersionId=row["target_version"])
        except Exception as exc:
            raise InputError(f"s3://{bucket}/{row['key']}", f"target version {row['target_version']} "
                             f"is gone ({code(exc) or exc})",
                             "nothing was deleted; copy and verify again") from None
    return current


def purge_bucket(src: Client, manifest: Manifest, bucket: str,
                 current: set[tuple[str, str]], record: IO[str]) -> Iterator[tuple[str, str]]:
    """Delete the source versions of ``bucket``; yield (status, line) for each as recorded."""
    for row in reversed([r for r in manifest.rows if r["bucket"] == bucket]):
        key, version = row["key"], row["source_version"]
        if (key, version) not in current:
            status, detail = "gone", "not on the source any more"
        else:
            status, detail = _delete(src, bucket, row)
        line = "\t".join((status, bucket, key, version, detail))
        record.write(line + "\n")
        yield status, line


def _delete(src: Client, bucket: str, row: dict[str, str]) -> tuple[str, str]:
    key, version = row["key"], row["source_version"]
    try:
        src.delete_object(Bucket=bucket, Key=key, VersionId=version)
    except Exception as exc:
        if code(exc) not in ("AccessDenied", "InvalidRequest", "ObjectLocked"):
            raise
        mode, until, hold = protection(src, bucket, Entry(key, version, False, 0,
                                                          datetime.fromtimestamp(0, UTC)))
        if hold:
            return "locked", "legal hold on; release it when the hold's reason has passed"
        if until is not None:
            return "locked", f"{mode} retention until {until.isoformat()}"
        return "refused", f"the source refused the delete ({code(exc)})"
    return "deleted", ""
