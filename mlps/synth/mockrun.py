"""Run a Pulumi program under the SDK's own mock monitor and record every registration."""

from __future__ import annotations

import contextvars
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pulumi
from pulumi.runtime import rpc, settings
from pulumi.runtime.mocks import MockCallArgs, MockMonitor, MockResourceArgs, Mocks, set_mocks
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _sync_await

STACK_TYPE = "pulumi:pulumi:Stack"


@dataclass
class Registration:
    """One resource as the program asked for it."""

    type: str
    name: str
    urn: str
    parent: str
    provider: str
    custom: bool
    inputs: dict[str, Any]
    deps: dict[str, tuple[str, ...]] = field(default_factory=dict)


class _EchoMocks(Mocks):
    """A created resource's state is its inputs; invokes return nothing (no cloud reachable)."""

    def new_resource(self, args: MockResourceArgs) -> tuple[str, dict[str, Any]]:
        return f"{args.name}-id", dict(args.inputs)

    def call(self, args: MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        return {}, []


class _RecordingMonitor(MockMonitor):
    def __init__(self) -> None:
        super().__init__(_EchoMocks())
        self.registrations: list[Registration] = []

    def RegisterResource(self, request: Any) -> Any:
        if request.type != STACK_TYPE:
            self.registrations.append(
                Registration(
                    type=request.type,
                    name=request.name,
                    urn=self.make_urn(request.parent, request.type, request.name),
                    parent=request.parent,
                    provider=request.provider.rsplit("::", 1)[0] if request.provider else "",
                    custom=bool(request.custom),
                    inputs=rpc.deserialize_properties(request.object),
                    deps={k: tuple(v.urns) for k, v in request.propertyDependencies.items()},
                )
            )
        return super().RegisterResource(request)  # type: ignore[no-untyped-call]


def run_program(
    program: Callable[[], object],
    project: str,
    stack: str,
    config: dict[str, Any],
    sink: list[Registration] | None = None,
) -> list[Registration]:
    """Run ``program`` in a fresh Pulumi context; return the registrations in order.

    Errors the program raises (a failing validation gate, a bad input) propagate; ``sink``
    then still holds what was registered before the error.
    """

    def run() -> list[Registration]:
        settings.ROOT.set(None)
        monitor = _RecordingMonitor()
        if sink is not None:
            monitor.registrations = sink
        set_mocks(_EchoMocks(), project, stack, preview=False, monitor=monitor)
        pulumi.runtime.set_all_config(
            {k: v if isinstance(v, str) else json.dumps(v) for k, v in config.items()}, []
        )
        _sync_await(run_pulumi_func(_discard_result(program)))
        return monitor.registrations

    return contextvars.copy_context().run(run)


def _discard_result(program: Callable[[], object]) -> Callable[[], None]:
    """The program as Pulumi's runner wants it: called for its resources, result dropped."""

    def run() -> None:
        program()

    return run
