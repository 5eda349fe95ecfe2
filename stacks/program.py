"""The stack program: spec from config → 等保 validation gate → the layout the spec names."""

from __future__ import annotations

from pathlib import Path

import pulumi

from mlps.findings import Finding
from mlps.spec import LoadedSpec, load_spec, spec_from_config
from mlps.validate import validate
from stacks.inventory import render_inventory
from stacks.layouts import LAYOUTS
from stacks.model import environment
from stacks.outputs import export_outputs


class SpecViolation(pulumi.RunError):
    """The spec breaks 等保 rules; nothing was registered."""


def violation_message(failing: list[Finding], source: str) -> str:
    lines = [
        f"{source}: the environment spec fails {len(failing)} 等保 requirement(s); nothing was deployed:"
    ]
    for f in sorted(failing, key=Finding.sort_key):
        where = f" (line {f.line})" if f.line else ""
        lines.append(f"  {f.control} [{f.clause}] {f.pointer}{where}: {f.message_en}")
    lines.append("Fix the spec or record a waiver, then run `mlps validate` to check.")
    return "\n".join(lines)


def gate(spec: LoadedSpec) -> None:
    """Raise before any resource exists when the spec has failing (unwaived) findings."""
    result = validate(spec)
    failing = [f for f in result.findings if f.status == "fail"]
    if failing:
        raise SpecViolation(violation_message(failing, spec.file))


class EnvironmentStack(pulumi.ComponentResource):
    """Root of one environment: every resource of it is a descendant."""

    def __init__(self, spec: LoadedSpec, opts: pulumi.ResourceOptions | None = None) -> None:
        env = environment(spec.effective)
        super().__init__("mlps:index:Environment", env.name, None, opts)
        self.env = env
        self.storage = LAYOUTS[env.layout](env, self)
        self.register_outputs({"level": env.level, "layout": env.layout})


def build(spec: LoadedSpec, written: LoadedSpec | None = None) -> EnvironmentStack:
    """Validate (``written``, the spec as in the stack file, when given), then build ``spec``."""
    gate(written or spec)
    return EnvironmentStack(spec)


def export(stack: EnvironmentStack, name: str) -> None:
    """The stack outputs of ``stack`` deployed as Pulumi stack ``name``."""
    pulumi.export("environment", stack.urn)
    export_outputs(stack.env, stack.storage, render_inventory(stack.env), name)


def main() -> None:
    """Under the engine, ``secure:`` values arrive decrypted; the gate checks the stack file
    as written (secrets still encrypted, line numbers known) and the build uses the config."""
    source = Path(f"Pulumi.{pulumi.get_stack()}.yaml")
    value = pulumi.Config("mlps").require_object("environment")
    spec = spec_from_config(value, str(source))
    written = load_spec(source) if source.is_file() else None
    export(build(spec, written), pulumi.get_stack())
