"""Provider-neutral facts about a plan, from one adapter per cloud.

``ADAPTERS`` maps a Pulumi package (the first part of a resource type token, ``alicloud`` in
``alicloud:oss/bucket:Bucket``; ``pulumi:providers:<package>`` for provider configurations) to
the function turning that package's resources into :class:`~policy.facts.model.Facts`. A second
cloud is one more module with a ``facts(graph)`` function and one more entry here; it states the
capabilities it lacks as :class:`~policy.facts.model.Gap` facts. The environment policies
(``policy/policies/environment.py``) judge only facts, so they live once for every cloud.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from policy.facts import alicloud
from policy.facts.model import Facts

if TYPE_CHECKING:
    from policy.policies.base import PlanGraph

Adapter = Callable[["PlanGraph"], Facts]

ADAPTERS: dict[str, Adapter] = {alicloud.PACKAGE: alicloud.facts}


def package(type_: str) -> str:
    """The Pulumi package of a resource type token."""
    parts = type_.split(":")
    return parts[2] if parts[:2] == ["pulumi", "providers"] and len(parts) > 2 else parts[0]


def collect(graph: PlanGraph) -> Facts:
    """The facts of every package in ``graph`` that has an adapter, in adapter order."""
    present = {package(t) for t in graph.by_type}
    found = Facts()
    for name, adapt in ADAPTERS.items():
        if name in present:
            found.extend(adapt(graph))
    return found


__all__ = ["ADAPTERS", "Adapter", "Facts", "collect", "package"]
