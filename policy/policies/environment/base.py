"""What an environment policy is: a check over the facts of the whole plan, not one resource."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from policy.facts import collect
from policy.facts.model import Facts, Subject
from policy.policies.base import PlanGraph, Violation

Found = tuple[Subject, Violation]


def unmet(*conditions: tuple[bool, str]) -> list[str]:
    """What each condition that does not hold says, in order: ``(holds, what is wrong)`` pairs."""
    return [what for holds, what in conditions if not holds]
FactCheck = Callable[[Facts, int], Iterable[Found]]


@dataclass(frozen=True)
class EnvironmentPolicy:
    """A policy over the facts of the whole plan (CrossGuard: a stack validation policy)."""

    name: str
    description: str
    controls: tuple[str, ...]
    levels: tuple[int, ...]
    check: FactCheck
    types: tuple[str, ...] = ()
    needs_graph: bool = True

    def enforcement(self, level: int) -> str:
        return "mandatory" if level in self.levels else "advisory"

    def run(self, graph: PlanGraph) -> Iterator[Found]:
        yield from self.check(collect(graph), graph.level)
