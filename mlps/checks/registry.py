"""Registry of named cross-field checks referenced from the control catalog (`spec.checks`)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

Spec = Mapping[str, Any]
Problem = tuple[str, str, str]
"""(JSON pointer into the spec, message in Chinese, message in English)."""
CheckFn = Callable[[Spec, int], Iterator[Problem]]

REGISTRY: dict[str, CheckFn] = {}


def check(name: str) -> Callable[[CheckFn], CheckFn]:
    """Register ``fn`` under ``name``; the catalog refers to checks by this name."""

    def register(fn: CheckFn) -> CheckFn:
        if name in REGISTRY:
            raise ValueError(f"check {name!r} is registered twice")
        REGISTRY[name] = fn
        return fn

    return register


def register(*fns: CheckFn) -> None:
    """Register each function under its own name, the name the catalog uses (a plain call, not a
    decorator, so that mutation testing reaches the checks' bodies)."""
    for fn in fns:
        check(fn.__name__)(fn)


def items(spec: Spec, key: str) -> list[tuple[int, dict[str, Any]]]:
    """(index, entry) for every object in the array ``spec[key]``; anything else is skipped."""
    value = spec.get(key)
    if not isinstance(value, list):
        return []
    return [(i, v) for i, v in enumerate(value) if isinstance(v, dict)]


def section(spec: Spec, key: str) -> dict[str, Any]:
    """The object ``spec[key]``, or an empty one."""
    value = spec.get(key)
    return value if isinstance(value, dict) else {}
