"""Provider-neutral facts about a plan, from one adapter per cloud.

``ADAPTERS`` maps a Pulumi package (the first part of a resource type token, ``alicloud`` in
``alicloud:oss/bucket:Bucket``; ``pulumi:providers:<package>`` for provider configurations) to
the function turning that package's resources into :class:`~policy.facts.model.Facts`. A second
cloud is one more module with a ``facts(graph)`` function and one more entry here. What a cloud
lacks comes from the one capability vocabulary, ``stacks.capabilities.CAPABILITIES``: for every
package present, :func:`collect` states each capability it lacks as a
:class:`~policy.facts.model.Gap` naming the role that stands in (``STAND_INS``). The environment
policies (``policy/policies/environment/``) judge only facts, so they live once for every cloud.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from policy.facts import alicloud, openstack
from policy.facts.model import Facts, Gap
from stacks.capabilities import STAND_INS, lacking

if TYPE_CHECKING:
    from policy.policies.base import PlanGraph

Adapter = Callable[["PlanGraph"], Facts]

ADAPTERS: dict[str, Adapter] = {alicloud.PACKAGE: alicloud.facts, openstack.PACKAGE: openstack.facts}


def package(type_: str) -> str:
    """The Pulumi package of a resource type token."""
    parts = type_.split(":")
    return parts[2] if parts[:2] == ["pulumi", "providers"] and len(parts) > 2 else parts[0]


def collect(graph: PlanGraph) -> Facts:
    """The facts of every package in ``graph`` that has an adapter, in adapter order, with the
    gaps of each and the flows, lines and images the graph says the spec needs or approves."""
    present = {package(t) for t in graph.by_type}
    found = Facts(required_flows=graph.required_flows, expected_lines=graph.dedicated_lines,
                  approved_images=graph.approved_images)
    for name, adapt in ADAPTERS.items():
        if name in present:
            found.extend(adapt(graph))
            found.gaps.extend(Gap(name, c, STAND_INS[c].role) for c in lacking(name))
    return found


__all__ = ["ADAPTERS", "Adapter", "Facts", "collect", "package"]
