"""The named check used by the small catalog under catalog_fixture/."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from mlps.checks import REGISTRY, check

if "tst_distinct_carriers" not in REGISTRY:

    @check("tst_distinct_carriers")
    def _distinct(spec: Any, level: int) -> Iterator[tuple[str, str, str]]:
        links = spec.get("links", [])
        if len({link["carrier"] for link in links}) < 2:
            yield "/links", "专线运营商相同", "all lines share one carrier"
