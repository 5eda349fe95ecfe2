"""JSON Schema validation behind one interface, on jsonschema-rs or on jsonschema.

Both engines report errors as :class:`SchemaError`, whose keyword and expected value are
read from the schema itself, so that messages do not depend on the engine.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Protocol

import jsonschema_rs

from mlps.pointers import resolve as resolve_pointer
from mlps.pointers import to_pointer

DEFAULT_ENGINE = os.environ.get("MLPS_SCHEMA_ENGINE", "rs")


@dataclass(frozen=True)
class SchemaError:
    """One failed keyword: where in the instance, where in the schema, what was expected."""

    pointer: str
    schema_path: tuple[str | int, ...]
    keyword: str
    expected: Any
    subschema: dict[str, Any]
    instance: Any
    message: str


class Engine(Protocol):
    def iter_errors(self, instance: Any) -> Iterator[SchemaError]: ...

    def is_valid(self, instance: Any) -> bool: ...


def resolve(root: dict[str, Any], path: tuple[str | int, ...]) -> dict[str, Any]:
    """The schema object that holds the last keyword of ``path`` (following local $refs)."""
    node: Any = root
    for step in path[:-1]:
        is_ref = step == "$ref" and isinstance(node, dict)
        node = _local_ref(root, node["$ref"]) if is_ref else node[step]
    return node if isinstance(node, dict) else {}


def _local_ref(root: dict[str, Any], ref: str) -> Any:
    return resolve_pointer(root, ref.removeprefix("#"))


class RustEngine:
    """jsonschema-rs: compiled validator in Rust."""

    def __init__(self, schema: dict[str, Any]) -> None:
        self.schema = schema
        self._validator = jsonschema_rs.validator_for(schema)

    def is_valid(self, instance: Any) -> bool:
        return bool(self._validator.is_valid(instance))

    def iter_errors(self, instance: Any) -> Iterator[SchemaError]:
        for err in self._validator.iter_errors(instance):
            path = tuple(err.schema_path)
            holder = resolve(self.schema, path)
            keyword = str(path[-1]) if path else ""
            yield SchemaError(
                pointer=to_pointer(err.instance_path),
                schema_path=path,
                keyword=keyword,
                expected=holder.get(keyword),
                subschema=holder,
                instance=err.instance,
                message=str(err.message),
            )


class PythonEngine:
    """jsonschema: the reference implementation in Python."""

    def __init__(self, schema: dict[str, Any]) -> None:
        import jsonschema  # only when asked for: it costs 0.3 s of start-up

        self.schema = schema
        self._validator = jsonschema.Draft202012Validator(schema)

    def is_valid(self, instance: Any) -> bool:
        return bool(self._validator.is_valid(instance))

    def iter_errors(self, instance: Any) -> Iterator[SchemaError]:
        for err in self._validator.iter_errors(instance):
            yield SchemaError(
                pointer=to_pointer(err.absolute_path),
                schema_path=tuple(err.absolute_schema_path),
                keyword=str(err.validator),
                expected=err.validator_value,
                subschema=err.schema if isinstance(err.schema, dict) else {},
                instance=err.instance,
                message=err.message,
            )


def compile_schema(schema: dict[str, Any], engine: str = DEFAULT_ENGINE) -> Engine:
    """A validator for ``schema`` on the named engine (``rs`` or ``python``)."""
    if engine == "python":
        return PythonEngine(schema)
    return RustEngine(schema)
