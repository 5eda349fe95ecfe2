"""Suite-wide pytest configuration."""

import pytest

pytest_plugins = ["mlps.lab.pytest_plugin"]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Keep every lab test on one xdist worker: labs share the machine's namespaces and slots."""
    for item in items:
        if item.get_closest_marker("lab") is not None:
            item.add_marker(pytest.mark.xdist_group("lab"))
