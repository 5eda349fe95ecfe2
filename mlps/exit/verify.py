"""``mlps exit verify``: every version on both sides, compared by content hash and protection.

Both listings are walked together, key by key (bounded memory). Each source version must have
exactly one target version carrying it in ``mlps-source-version``, with the same SHA-256 of
the content streamed from each side, the same size, content type, user metadata and tags, and
a retention never shorter nor in GOVERNANCE mode where the source has COMPLIANCE, and no legal
hold dropped. Delete markers must keep their place in the key's history. Each difference is
named: missing, extra, duplicated, altered, weakened (weaker protection, whatever else differs).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import IO, Any

from mlps.exit.copy import CHUNK, SOURCE_VERSION, protection
from mlps.exit.s3 import Client, Entry, versions

OK = "ok"
HEADER = "# mlps exit manifest v1"
COLUMNS = ("status", "bucket", "key", "source_version", "target_version", "size",
           "source_sha256", "target_sha256", "detail")


@dataclass
class Tally:
    """Counts per status, and the lines naming every problem."""

    counts: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def add(self, status: str, line: str) -> None:
        self.counts[status] = self.counts.get(status, 0) + 1
        if status != OK:
            self.problems.append(line)


def _stream_hash(s3: Client, bucket: str, key: str, version: str) -> tuple[str, int, dict[str, Any]]:
    obj = s3.get_object(Bucket=bucket, Key=key, VersionId=version)
    digest, size = hashlib.sha256(), 0
    for chunk in iter(lambda: obj["Body"].read(CHUNK), b""):
        digest.update(chunk)
        size += len(chunk)
    return digest.hexdigest(), size, obj


def _tags(s3: Client, bucket: str, key: str, version: str) -> list[tuple[str, str]]:
    tags = s3.get_object_tagging(Bucket=bucket, Key=key, VersionId=version).get("TagSet", [])
    return sorted((t["Key"], t["Value"]) for t in tags)


def _user(meta: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in meta.items() if not k.startswith("mlps-")}


def _pairs(src: Client, dst: Client, bucket: str) -> Iterator[tuple[str, list[Entry], list[Entry]]]:
    """(key, source versions, target versions) for every key on either side, in key order."""
    left, right = versions(src, bucket), versions(dst, bucket)
    a, b = next(left, None), next(right, None)
    while a is not None or b is not None:
        if a is not None and (b is None or a[0].key < b[0].key):
            yield a[0].key, a, []
            a = next(left, None)
        elif b is not None and (a is None or b[0].key < a[0].key):
            yield b[0].key, [], b
            b = next(right, None)
        elif a is not None and b is not None:
            yield a[0].key, a, b
            a, b = next(left, None), next(right, None)


def verify_bucket(src: Client, dst: Client, bucket: str, lock: bool, out: IO[str], tally: Tally) -> None:
    """Compare one bucket, writing one manifest line per version to ``out``."""
    for key, source, target in _pairs(src, dst, bucket):
        named = len(tally.problems)
        by_source: dict[str, list[tuple[Entry, dict[str, Any]]]] = {}
        history: list[str] = []
        for entry in target:
            if entry.marker:
                history.append("marker")
                continue
            head = dst.head_object(Bucket=bucket, Key=key, VersionId=entry.version)
            origin = head.get("Metadata", {}).get(SOURCE_VERSION, "")
            history.append(origin)
            by_source.setdefault(origin, []).append((entry, head))
        expected = ["marker" if e.marker else e.version for e in source]
        for entry in source:
            if entry.marker:
                continue
            matches = by_source.pop(entry.version, [])
            if not matches:
                _line(out, tally, "missing", bucket, entry, None, "", "", "no target version")
                continue
            if len(matches) > 1:
                extra = ", ".join(t.version for t, _ in matches[1:])
                _line(out, tally, "duplicated", bucket, entry, matches[0][0], "", "",
                      f"also target versions {extra}")
                continue
            _compare(src, dst, bucket, lock, entry, matches[0], out, tally)
        for origin, rest in by_source.items():
            for entry, _ in rest:
                _line(out, tally, "extra", bucket, None, entry, "", "",
                      f"target version of no source version ({origin or 'no mlps-source-version'})",
                      key=key)
        markers_src = [e for e in source if e.marker]
        markers_dst = [e for e in target if e.marker]
        if len(markers_src) != len(markers_dst) or (
                history != expected and len(tally.problems) == named):
            detail = f"history {expected} on the source, {history} on the target"
            status = "missing" if len(markers_dst) < len(markers_src) else "altered"
            if len(markers_dst) > len(markers_src):
                status = "extra"
            _line(out, tally, status, bucket, markers_src[-1] if markers_src else None,
                  markers_dst[-1] if markers_dst else None, "-", "-", detail, key=key)
        else:
            for s_marker, t_marker in zip(markers_src, markers_dst, strict=True):
                _line(out, tally, OK, bucket, s_marker, t_marker, "-", "-", "delete marker")


def _compare(src: Client, dst: Client, bucket: str, lock: bool, entry: Entry,
             match: tuple[Entry, dict[str, Any]], out: IO[str], tally: Tally) -> None:
    target, _ = match
    s_hash, s_size, s_obj = _stream_hash(src, bucket, entry.key, entry.version)
    t_hash, t_size, t_obj = _stream_hash(dst, bucket, entry.key, target.version)
    problems = []
    if s_hash != t_hash or s_size != t_size:
        problems.append(f"content differs ({s_size} vs {t_size} bytes)")
    if s_obj.get("ContentType") != t_obj.get("ContentType"):
        problems.append(f"content type {s_obj.get('ContentType')} vs {t_obj.get('ContentType')}")
    s_meta, t_meta = _user(s_obj.get("Metadata") or {}), _user(t_obj.get("Metadata") or {})
    if s_meta != t_meta:
        differ = sorted(k for k in s_meta.keys() | t_meta.keys() if s_meta.get(k) != t_meta.get(k))
        problems.append(f"user metadata differs ({', '.join(differ)})")
    if _tags(src, bucket, entry.key, entry.version) != _tags(dst, bucket, entry.key, target.version):
        problems.append("tags differ")
    weak: list[str] = []
    if lock:
        s_mode, s_until, s_hold = protection(src, bucket, entry)
        t_mode, t_until, t_hold = protection(dst, bucket, target)
        shorter = s_until is not None and s_until > datetime.now(UTC) and (
            t_until is None or t_until < s_until or (s_mode == "COMPLIANCE" and t_mode != s_mode))
        if shorter:
            weak.append(f"retention {s_mode} until {s_until} on the source, "
                        f"{t_mode or 'none'} until {t_until} on the target")
        if s_hold and not t_hold:
            weak.append("legal hold dropped")
    # weaker protection is named first: the copy could be deleted before the source's date
    status = "weakened" if weak else "altered" if problems else OK
    problems = weak + problems
    _line(out, tally, status, bucket, entry, target, s_hash, t_hash, "; ".join(problems))


def _line(out: IO[str], tally: Tally, status: str, bucket: str, source: Entry | None,
          target: Entry | None, s_hash: str, t_hash: str, detail: str, key: str = "") -> None:
    key = source.key if source else (target.key if target else key)
    fields = [status, bucket, key, source.version if source else "-",
              target.version if target else "-", str(source.size if source else target.size if target else 0),
              s_hash or "-", t_hash or "-", detail]
    line = "\t".join(f.replace("\t", " ").replace("\n", " ") for f in fields)
    out.write(line + "\n")
    tally.add(status, line)
