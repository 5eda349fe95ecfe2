"""Input rules JSON Schema does not express: hidden characters, networks written with host
bits, references to buckets that do not exist. Each problem is unusable input (exit 2)."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from typing import Any

from mlps.pointers import escape, walk
from mlps.spec.shape import ShapeProblem

BIDI_CONTROLS = frozenset(range(0x202A, 0x202F)) | frozenset(range(0x2066, 0x206A))
"""Bidirectional embeddings, overrides and isolates (U+202A to 202E, U+2066 to 2069): they make text
display in an order other than the one programs read."""

MULTILINE_KEYS = frozenset({"description"})
"""Keys whose text may span lines: there, tab and line feed are allowed."""

CIDR_PATHS: tuple[tuple[str, ...], ...] = (
    ("zones", "*", "cidr"),
    ("bastion", "allowed_sources", "*"),
    ("baseline", "ssh", "controller_sources", "*"),
    ("link_failover", "prefixes", "*"),
)
"""Every place of the environment schema that holds a network (``$defs/cidr``)."""


def _forbidden(c: str, multiline: bool) -> str | None:
    code = ord(c)
    if multiline and c in "\t\n":
        return None
    if code < 0x20 or code == 0x7F:
        return f"control character U+{code:04X}"
    if 0x80 <= code <= 0x9F:
        return f"C1 control character U+{code:04X}"
    if code in BIDI_CONTROLS:
        return f"bidi control U+{code:04X}"
    return None


def _strings(value: Any, pointer: str, key: str) -> Iterator[tuple[str, str, str]]:
    """(pointer, key it sits under, text) for every string, mapping keys included."""
    if isinstance(value, str):
        yield pointer, key, value
    elif isinstance(value, dict):
        for k, v in value.items():
            child = f"{pointer}/{escape(str(k))}"
            if isinstance(k, str):
                yield child, "", k
            yield from _strings(v, child, str(k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _strings(v, f"{pointer}/{i}", key)


def text_problems(data: Any) -> list[ShapeProblem]:
    """Every string holding NUL or another C0/C1 control character or a bidi control (tab and
    line feed are allowed in descriptions), one problem per string."""
    problems = []
    for pointer, key, text in _strings(data, "", ""):
        for pos, c in enumerate(text):
            what = _forbidden(c, key in MULTILINE_KEYS)
            if what:
                problems.append(ShapeProblem(
                    pointer, f"text holds a {what} at character {pos + 1}",
                    "delete it: names and descriptions are plain printable text (retype the value "
                    "if it was pasted)"))
                break
    return problems


def cidr_problems(data: Any) -> list[ShapeProblem]:
    """Every network written with host bits set (``10.40.0.1/20``): which network was meant is
    a guess, so the spec must say ``10.40.0.0/20`` (or the host's /32)."""
    problems = []
    for path in CIDR_PATHS:
        for pointer, value in walk(data, path):
            if not isinstance(value, str):
                continue
            try:
                ipaddress.IPv4Network(value)
            except ValueError:
                try:
                    net = ipaddress.IPv4Network(value, strict=False)
                except ValueError:
                    continue  # the shape check reports what is not a network at all
                problems.append(ShapeProblem(
                    pointer, f"{value} has host bits set",
                    f"write the network address {net} (or {value.split('/')[0]}/32 for one host)"))
    return problems


def reference_problems(data: Any) -> list[ShapeProblem]:
    """Every workload naming a bucket that object_storage.buckets does not define."""
    if not isinstance(data, dict):
        return []
    storage = data.get("object_storage")
    buckets = storage.get("buckets") if isinstance(storage, dict) else None
    names = {b.get("name") for b in buckets if isinstance(b, dict)} if isinstance(buckets, list) else set()
    problems = []
    workloads = data.get("workloads")
    for i, w in enumerate(workloads if isinstance(workloads, list) else []):
        bucket = w.get("bucket") if isinstance(w, dict) else None
        if isinstance(bucket, str) and bucket not in names:
            problems.append(ShapeProblem(
                f"/workloads/{i}/bucket",
                f"workload '{w.get('name')}' writes to bucket '{bucket}', which "
                "/object_storage/buckets does not define",
                f"add a bucket named {bucket} under /object_storage/buckets, or correct the name"))
    return problems


def input_problems(data: Any) -> list[ShapeProblem]:
    """Networks with host bits and dangling bucket references, in that order."""
    return cidr_problems(data) + reference_problems(data)
