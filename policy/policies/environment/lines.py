"""Dedicated line policies (GB/T 22239-2019 8.1.2.1: redundant communication lines, failover): the
cloud end of a hybrid plan's lines is redundant and detects a failed line within a second.

Only clouds with dedicated lines of their own (capability ``dedicated_lines``) are judged. A plan
whose caller says how many lines the spec ends in the cloud (``mlps synth``, or the pack config's
``dedicatedLines``) must build them: a hybrid spec without its lines' cloud end is a finding. Where
the caller does not say, only the lines the plan builds are judged (a cloud layout has none). On
another cloud the carrier's own termination ends each line, which ``mlps synth`` states as a
notice.
"""

from __future__ import annotations

from collections.abc import Iterator

from policy.facts.model import DedicatedLine, Facts
from policy.policies.environment.base import EnvironmentPolicy, Found
from stacks.capabilities import CAPABILITIES, Capability

MIN_LINES = 2
MAX_DETECTION_MS = 1000
"""CNS-FAILOVER-01: BFD detects a failed line within a second (interval × multiplier)."""


def _lines(facts: Facts, provider: str) -> list[DedicatedLine]:
    if Capability.DEDICATED_LINES not in CAPABILITIES.get(provider, frozenset()):
        return []
    return [line for line in facts.dedicated_lines if line.provider == provider]


def _redundant(facts: Facts, level: int) -> Iterator[Found]:
    for cloud in facts.accounts():
        lines = _lines(facts, cloud.provider)
        wanted = facts.expected_lines or 0
        if len(lines) < wanted and Capability.DEDICATED_LINES in CAPABILITIES.get(cloud.provider, ()):
            built = f"only {len(lines)}" if lines else "none"
            yield cloud.subject, (
                "CNS-REDUN-01",
                f"the spec ends {wanted} dedicated line(s) in this cloud, and the plan builds {built} "
                "(no physical connection, border router or transit router attachment for the rest)",
            )
        if not lines:
            continue
        for line in lines:
            if not line.attached:
                yield line.subject, (
                    "CNS-REDUN-01", f"line {line.name} has no border router attached to the transit router")
        carriers = sorted({line.carrier for line in lines if line.attached})
        if len(carriers) < MIN_LINES:
            yield cloud.subject, (
                "CNS-REDUN-01",
                f"{len(carriers)} carrier(s) reach the transit router ({', '.join(carriers) or 'none'}): "
                f"a hybrid plan needs {MIN_LINES} attached lines of distinct carriers",
            )


def _detection(facts: Facts, level: int) -> Iterator[Found]:
    for line in (x for cloud in facts.accounts() for x in _lines(facts, cloud.provider)):
        if not line.bgp:
            yield line.subject, ("CNS-FAILOVER-01", f"line {line.name} runs no BGP with the hospital's edge")
        if line.bfd_ms is None:
            yield line.subject, ("CNS-FAILOVER-01", f"line {line.name} runs no BFD")
        elif line.bfd_ms > MAX_DETECTION_MS:
            yield line.subject, (
                "CNS-FAILOVER-01",
                f"line {line.name} detects a failure in {line.bfd_ms} ms, more than {MAX_DETECTION_MS}",
            )
        if not line.health_check:
            yield line.subject, ("CNS-FAILOVER-01", f"line {line.name} has no health check")


DEDICATED_LINES_REDUNDANT = EnvironmentPolicy(
    name="dedicated_lines_redundant",
    description=(
        f"A hybrid plan's cloud end has {MIN_LINES} or more dedicated lines of distinct carriers, each "
        "with a border router attached to the transit router."
    ),
    controls=("CNS-REDUN-01",),
    levels=(3, 4),
    check=_redundant,
)

LINE_FAILOVER_DETECTION = EnvironmentPolicy(
    name="line_failover_detection",
    description=(
        f"Each dedicated line runs BGP with BFD detecting a failure within {MAX_DETECTION_MS} ms and "
        "is health-checked by the cloud."
    ),
    controls=("CNS-FAILOVER-01",),
    levels=(3, 4),
    check=_detection,
)
