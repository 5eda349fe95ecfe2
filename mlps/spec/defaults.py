"""Fill the defaults of schemas/environment.schema.json into a spec.

The defaults are the compliant choices, so what a spec leaves out is built compliant and is
validated as built. A missing section is filled only when none of its keys is required.
"""

from __future__ import annotations

import copy
from functools import cache
from typing import Any

from mlps.pointers import resolve
from mlps.resources import load_schema


@cache
def _root() -> dict[str, Any]:
    return load_schema("environment")


def _deref(schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = resolve(_root(), schema["$ref"].removeprefix("#"))
    return schema


def apply_defaults(data: Any, schema: dict[str, Any] | None = None) -> Any:
    """Return ``data`` with every applicable default filled in (mutates and returns it)."""
    schema = _deref(schema if schema is not None else _root())
    if isinstance(data, dict) and schema.get("type") == "object":
        for key, sub in schema.get("properties", {}).items():
            sub = _deref(sub)
            if key in data:
                apply_defaults(data[key], sub)
            elif "default" in sub:
                data[key] = copy.deepcopy(sub["default"])
            elif sub.get("type") == "object" and not sub.get("required") and _has_defaults(sub):
                data[key] = apply_defaults({}, sub)
    elif isinstance(data, list) and isinstance(schema.get("items"), dict):
        for item in data:
            apply_defaults(item, schema["items"])
    return data


def _has_defaults(schema: dict[str, Any]) -> bool:
    return any("default" in _deref(s) or _deref(s).get("type") == "object"
               for s in schema.get("properties", {}).values())
