"""pytest plugin: the ``lab_factory`` fixture (``pytest_plugins = ["mlps.lab.pytest_plugin"]``).

``lab_factory(name, hosts=N)``, ``lab_factory(name, topology=path)`` or
``lab_factory(name, spec=path)`` returns a Lab that is up; every lab made is brought down when
the requesting module's tests are done. If the lab
cannot run here the test is skipped with the reason, but fails when ``CI=true``: a CI run
must not skip lab tests silently.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from mlps.lab.errors import LabUnavailable
from mlps.lab.lab import Lab
from mlps.lab.proc import preflight

LabFactory = Callable[..., Lab]


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("true", "1", "yes")


def require_lab() -> None:
    """Skip (or, in CI, fail) the current test when the lab cannot run on this machine."""
    try:
        preflight()
    except LabUnavailable as exc:
        if in_ci():
            pytest.fail(f"lab tests must run in CI: {exc}", pytrace=False)
        pytest.skip(str(exc))


@pytest.fixture(scope="module")
def lab_factory() -> Iterator[LabFactory]:
    """Factory of labs that are taken down at the end of the module."""
    made: list[Lab] = []

    def make(
        name: str, hosts: int | None = None, topology: Path | None = None, spec: Path | None = None
    ) -> Lab:
        require_lab()
        lab = Lab(name)
        made.append(lab)
        return lab.up(hosts=hosts, topology=topology, spec=spec)

    yield make
    errors = []
    for lab in made:
        try:
            lab.down()
        except Exception as exc:  # every lab gets its turn to go down
            errors.append(f"{lab.name}: {exc}")
    if errors:
        pytest.fail("lab teardown failed: " + "; ".join(errors), pytrace=False)
