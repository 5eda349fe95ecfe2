"""Suite-wide collection rules."""

from __future__ import annotations

import pytest

pytest_plugins = ["mlps.lab.pytest_plugin"]

# Markers too slow for any run that does not ask for them by name in its -m expression
# (pytest -m whole_build): pytest -m lab or -m hospital leaves them out too.
ON_REQUEST = ("whole_build",)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Deselect the tests of every on-request marker the -m expression does not name."""
    expression = config.getoption("markexpr") or ""
    skipped = [m for m in ON_REQUEST if m not in expression]
    if not skipped:
        return
    kept, dropped = [], []
    for item in items:
        (dropped if any(item.get_closest_marker(m) for m in skipped) else kept).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept
