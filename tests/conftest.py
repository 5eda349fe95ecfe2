"""Suite-wide collection rules."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from _pytest.mark.expression import Expression

pytest_plugins = ["mlps.lab.pytest_plugin"]

# Markers too slow for any run whose -m expression does not ask for them: pytest -m whole_build
# runs the whole-hospital build; pytest, -m lab, -m hospital or -m "lab or not whole_build" do not.
ON_REQUEST = ("whole_build",)


def _matcher(markers: set[str], marker: str, value: bool) -> Callable[..., bool]:
    def match(name: str, /, **kwargs: str | int | bool | None) -> bool:
        return value if name == marker else (name in markers and not kwargs)
    return match


def asks_for(expression: Expression | None, item: pytest.Item, marker: str) -> bool:
    """Whether the -m expression's verdict on this item turns on ``marker``: it names the marker
    in a way that matters here (whole_build, lab and whole_build), not only by the way."""
    if expression is None:
        return False
    markers = {m.name for m in item.iter_markers()}
    return expression.evaluate(_matcher(markers, marker, True)) != expression.evaluate(
        _matcher(markers, marker, False))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Deselect the tests of every on-request marker the -m expression does not ask for."""
    text = config.getoption("markexpr") or ""
    expression = Expression.compile(text) if text.strip() else None
    kept: list[pytest.Item] = []
    dropped: list[pytest.Item] = []
    for item in items:
        slow = [m for m in ON_REQUEST if item.get_closest_marker(m)]
        (dropped if any(not asks_for(expression, item, m) for m in slow) else kept).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept
