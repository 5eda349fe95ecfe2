"""Capabilities a cloud lacks: when such a gap is unmet, and the policy that each has its stand-in.

A capability the cloud lacks (a :class:`~policy.facts.model.Gap`, named in the vocabulary of
``stacks.capabilities``) is met only by the project's role standing in for it on a cloud host of
that provider, which the role's verify then reports on the host; without that host
``stand_ins_present`` reports the gap under the control the stand-in serves and names the role. A
met gap is no finding: ``mlps synth`` writes it as a notice naming the role and its hosts
(``stacks.capabilities.notices``), and the report prints it.
"""

from __future__ import annotations

from collections.abc import Iterator

from policy.facts.model import Cloud, Facts
from policy.policies.environment.base import EnvironmentPolicy, Found
from stacks.capabilities import STAND_INS, Capability


def gap_unmet(facts: Facts, cloud: Cloud, capability: Capability, what: str) -> str | None:
    """Why ``cloud`` cannot provide ``capability`` here, or None when it can or is compensated."""
    gap = facts.gap(cloud.provider, capability)
    if gap is None or facts.compensated(gap):
        return None
    return (
        f"{cloud.provider} has no {what}; the project's {gap.compensated_by} role on a cloud "
        f"host stands in for it, and no {cloud.provider} host runs that role"
    )


PLAN_STAND_INS = {c: s for c, s in STAND_INS.items() if c is not Capability.MANAGED_KUBERNETES}
"""The stand-ins the plan must show on every cloud lacking their capability (a kubeadm cluster is
needed only for cloud workloads, which the spec checks: K8S-HA-01)."""


def _stand_ins(facts: Facts, level: int) -> Iterator[Found]:
    for cloud in facts.accounts():
        for gap in facts.gaps:
            if gap.provider != cloud.provider or gap.capability not in PLAN_STAND_INS:
                continue
            why = gap_unmet(facts, cloud, gap.capability, gap.capability.value.replace("_", " "))
            if why:
                yield cloud.subject, (PLAN_STAND_INS[gap.capability].control, why)


STAND_INS_PRESENT = EnvironmentPolicy(
    name="stand_ins_present",
    description=(
        "Every capability a cloud lacks and the plan needs has the project's role standing in for "
        "it on a host of that cloud."
    ),
    controls=tuple(sorted({s.control for s in PLAN_STAND_INS.values()})),
    levels=(3, 4),
    check=_stand_ins,
)
