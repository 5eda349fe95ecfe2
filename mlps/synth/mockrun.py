"""Run a Pulumi program under the SDK's public mock runtime and record every registration.

Only the SDK's public testing API is used (``pulumi.runtime.set_mocks``, ``pulumi.runtime.test``,
``pulumi.runtime.reset_options``, ``pulumi.runtime.set_all_config``, ``MockMonitor``);
:func:`check_runtime` names the installed Pulumi version when one of them has changed.
"""

from __future__ import annotations

import contextvars
import inspect
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from typing import Any

import pulumi
import pulumi.runtime
from pulumi.runtime import rpc
from pulumi.runtime.mocks import MockCallArgs, MockMonitor, MockResourceArgs, Mocks

STACK_TYPE = "pulumi:pulumi:Stack"
GENERATED = "[generated at deploy]"
"""What a generated secret (``pulumi_random``) holds offline: a fixed mark, never a secret."""
GENERATED_OUTPUTS: dict[str, tuple[str, ...]] = {
    "random:index/randomPassword:RandomPassword": ("result", "bcryptHash"),
    "random:index/randomBytes:RandomBytes": ("hex", "base64"),
}
"""The outputs the ``random`` provider computes, per resource type the stacks register."""
COMPUTED_IDS: dict[str, tuple[str, ...]] = {
    "alicloud:ecs/instance:Instance": ("systemDiskId",),
    "alicloud:cen/transitRouter:TransitRouter": ("transitRouterId",),
    "alicloud:cen/transitRouterRouteTable:TransitRouterRouteTable": ("transitRouterRouteTableId",),
    "alicloud:cen/transitRouterVbrAttachment:TransitRouterVbrAttachment": ("transitRouterAttachmentId",),
    "alicloud:ecs/eipAddress:EipAddress": ("ipAddress",),
    "alicloud:cloudfirewall/controlPolicy:ControlPolicy": ("aclUuid",),
}
"""Ids and addresses the cloud assigns besides the resource's own, per type: offline
``<name>-<output>``."""
TESTED_PULUMI = "3.272.0"
"""The Pulumi SDK release this module is tested with (requirements.lock)."""

_PUBLIC_API: tuple[tuple[object, str], ...] = (
    (pulumi.runtime, "set_mocks"),
    (pulumi.runtime, "test"),
    (pulumi.runtime, "reset_options"),
    (pulumi.runtime, "set_all_config"),
    (pulumi.runtime, "get_root_resource"),
    (MockMonitor, "RegisterResource"),
    (MockMonitor, "make_urn"),
    (rpc, "deserialize_properties"),
)


class MockRuntimeChanged(RuntimeError):
    """The installed Pulumi SDK lacks part of the mock runtime ``mlps synth`` drives."""


def pulumi_version() -> str:
    try:
        return version("pulumi")
    except PackageNotFoundError:
        return "unknown"


def check_runtime(api: tuple[tuple[object, str], ...] = _PUBLIC_API) -> None:
    """Raise :class:`MockRuntimeChanged` naming the Pulumi version when the mock API moved."""
    missing = [f"{getattr(owner, '__name__', owner)}.{name}" for owner, name in api
               if not callable(getattr(owner, name, None))]
    params = set(inspect.signature(pulumi.runtime.set_mocks).parameters) if not missing else set()
    if not missing and not {"mocks", "project", "stack", "preview", "monitor"} <= params:
        missing.append("pulumi.runtime.set_mocks(mocks, project, stack, preview, monitor)")
    if missing:
        raise MockRuntimeChanged(
            f"pulumi {pulumi_version()} lacks {', '.join(missing)}, which mlps synth runs the "
            f"stack with (tested with pulumi {TESTED_PULUMI}); install the version in "
            "requirements.lock or adapt mlps/synth/mockrun.py"
        )


@dataclass
class Registration:
    """One resource as the program asked for it (with the options the engine acts on)."""

    type: str
    name: str
    urn: str
    parent: str
    provider: str
    custom: bool
    inputs: dict[str, Any]
    deps: dict[str, tuple[str, ...]] = field(default_factory=dict)
    protect: bool = False
    retain_on_delete: bool = False


@dataclass
class Exported:
    """A stack output after the run: its value and whether Pulumi keeps it secret."""

    value: Any
    secret: bool


class EchoMocks(Mocks):
    """A created resource's state is its inputs (a generated secret is :data:`GENERATED`, so
    every run gives the same bytes); invokes return nothing (no cloud reachable)."""

    def new_resource(self, args: MockResourceArgs) -> tuple[str, dict[str, Any]]:
        state = dict(args.inputs)
        state.update(dict.fromkeys(GENERATED_OUTPUTS.get(args.typ, ()), GENERATED))
        state.update({k: f"{args.name}-{k}" for k in COMPUTED_IDS.get(args.typ, ())})
        return f"{args.name}-id", state

    def call(self, args: MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        return {}, []


class _RecordingMonitor(MockMonitor):
    def __init__(self, mocks: Mocks) -> None:
        super().__init__(mocks)
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
                    protect=bool(request.protect),
                    retain_on_delete=bool(request.retainOnDelete),
                )
            )
        return super().RegisterResource(request)  # type: ignore[no-untyped-call]


def run_program(
    program: Callable[[], object],
    project: str,
    stack: str,
    config: dict[str, Any],
    sink: list[Registration] | None = None,
    mocks: Mocks | None = None,
    exports: dict[str, Exported] | None = None,
) -> list[Registration]:
    """Run ``program`` in a fresh Pulumi context; return the registrations in order.

    Errors the program raises (a failing validation gate, a bad input) propagate; ``sink``
    then still holds what was registered before the error. ``exports``, when given, receives
    the stack outputs the program exported (``pulumi.export``), resolved.
    """
    check_runtime()

    def run() -> list[Registration]:
        pulumi.runtime.reset_options(project=project, stack=stack)
        monitor = _RecordingMonitor(mocks or EchoMocks())
        if sink is not None:
            monitor.registrations = sink
        pulumi.runtime.set_mocks(monitor.mocks, project, stack, preview=False, monitor=monitor)
        pulumi.runtime.set_all_config(
            {k: v if isinstance(v, str) else json.dumps(v) for k, v in config.items()}, []
        )
        pulumi.runtime.test(_with_exports(program, exports))()  # type: ignore[no-untyped-call]
        return monitor.registrations

    return contextvars.copy_context().run(run)


def _with_exports(
    program: Callable[[], object], exports: dict[str, Exported] | None
) -> Callable[[], pulumi.Output[Any] | None]:
    """The program as the test runner wants it; its result is dropped, its exports collected."""

    def run() -> pulumi.Output[Any] | None:
        program()
        if exports is None:
            return None
        root = pulumi.runtime.get_root_resource()
        outputs: dict[str, Any] = dict(getattr(root, "outputs", {}) or {})
        pending: list[pulumi.Output[None]] = []
        for name, value in sorted(outputs.items()):
            out: pulumi.Output[Any] = pulumi.Output.from_input(value)
            secret: pulumi.Output[bool] = pulumi.Output.from_input(_awaited(out.is_secret()))
            pending.append(pulumi.Output.all(out, secret).apply(_store(exports, name)))
        return pulumi.Output.all(*pending)

    return run


async def _awaited(value: Awaitable[bool]) -> bool:
    return await value


def _store(exports: dict[str, Exported], name: str) -> Callable[[list[Any]], None]:
    def store(pair: list[Any]) -> None:
        exports[name] = Exported(pair[0], bool(pair[1]))

    return store
