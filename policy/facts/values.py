"""Plan values read defensively: a plan holds what its program wrote, typed or not, so every
reader returns None (or nothing) where a value cannot be read instead of raising."""

from __future__ import annotations

from typing import Any

EVERY_PORT = (1, 65535)


def whole(value: Any) -> int | None:
    """``value`` read as a whole number (None where it is none)."""
    if isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError, OverflowError):
        return None


def port_number(value: Any) -> int | None:
    """A port written as a number (a named port or text is None)."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def port_range(text: Any) -> tuple[int, int] | None:
    """An Alibaba Cloud range ``low/high`` (or one port); ``-1/-1`` and ``0/0`` mean every port;
    None where it cannot be read."""
    low, _, high = str(text if text is not None else "").partition("/")
    try:
        first, last = int(low), int(high or low)
    except ValueError:
        return None
    if first < 0 or (first, last) == (0, 0):
        return EVERY_PORT
    return (first, last) if 0 < first <= last <= EVERY_PORT[1] else None


def listed(value: Any) -> list[Any]:
    """A list as written, one value as a list of itself, nothing as an empty list."""
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]
