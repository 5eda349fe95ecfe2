"""Fill the defaults of schemas/environment.schema.json into a copy of a spec.

The defaults are the compliant choices, so what a spec leaves out is built compliant and is
validated as built. A missing section is filled only when none of its keys is required.
The schema is compiled once into a small plan; applying it copies the spec as it goes.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from mlps.pointers import resolve
from mlps.resources import load_schema

_MISSING = object()


@dataclass
class _Plan:
    """What to fill in at one place of the schema."""

    defaults: dict[str, Any] = field(default_factory=dict)  # key -> default value
    sections: dict[str, _Plan] = field(default_factory=dict)  # key -> absent section to create
    children: dict[str, _Plan] = field(default_factory=dict)  # key -> plan of present value
    items: _Plan | None = None  # plan of each array item

    @property
    def empty(self) -> bool:
        return not (self.defaults or self.sections or self.children or self.items)


def _deref(root: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = resolve(root, schema["$ref"].removeprefix("#"))
    return schema


def _compile(root: dict[str, Any], schema: dict[str, Any]) -> _Plan:
    schema = _deref(root, schema)
    plan = _Plan()
    if isinstance(schema.get("items"), dict):
        items = _compile(root, schema["items"])
        plan.items = None if items.empty else items
    for key, sub in schema.get("properties", {}).items():
        sub = _deref(root, sub)
        child = _compile(root, sub)
        if not child.empty:
            plan.children[key] = child
        if "default" in sub:
            plan.defaults[key] = sub["default"]
        elif sub.get("type") == "object" and not sub.get("required") and child.defaults:
            plan.sections[key] = child
    return plan


@cache
def _root_plan() -> _Plan:
    root = load_schema("environment")
    return _compile(root, root)


def _apply(value: Any, plan: _Plan | None) -> Any:
    """A copy of ``value`` along ``plan``; parts without defaults are shared, not copied."""
    if plan is None:
        return value
    if isinstance(value, dict):
        out = {k: _apply(v, plan.children.get(k)) for k, v in value.items()}
        for key, default in plan.defaults.items():
            if key not in out:
                out[key] = copy.deepcopy(default) if isinstance(default, (dict, list)) else default
        for key, section in plan.sections.items():
            if key not in out:
                out[key] = _apply({}, section)
        return out
    if isinstance(value, list):
        return [_apply(v, plan.items) for v in value]
    return value


def apply_defaults(data: Any) -> Any:
    """``data`` with every applicable default filled in; ``data`` itself is not changed."""
    return _apply(data, _root_plan())
