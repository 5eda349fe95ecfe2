"""Cross-field checks of where data lives."""

from __future__ import annotations

from collections.abc import Iterator

from mlps.checks.placement import core_data_placed_onprem
from mlps.checks.registry import Problem, Spec, register


def core_data_onprem(spec: Spec, level: int) -> Iterator[Problem]:
    """Hybrid layout: buckets and workloads holding core medical data, by label or by the kind
    of system (see mlps.checks.placement), are placed on-prem."""
    yield from core_data_placed_onprem(spec, level)


register(core_data_onprem)
