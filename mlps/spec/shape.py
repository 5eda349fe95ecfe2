"""The shape of a spec (schemas/environment.schema.json): types, keys, ranges."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from typing import Any

from mlps.normalise import canonical
from mlps.resources import load_schema
from mlps.schema_engine import Engine, SchemaError, compile_schema


@dataclass(frozen=True)
class ShapeProblem:
    pointer: str
    message: str
    hint: str


def environment_schema() -> dict[str, Any]:
    return load_schema("environment")


@cache
def _engine() -> Engine:
    return compile_schema(environment_schema())


def check_shape(data: Any) -> list[ShapeProblem]:
    """Every shape problem of ``data``, most specific first, one per place."""
    engine = _engine()
    if engine.is_valid(data):
        return []
    problems: dict[str, ShapeProblem] = {}
    for err in sorted(engine.iter_errors(data), key=lambda e: (e.pointer, e.keyword)):
        problem = _describe(err)
        problems.setdefault(problem.pointer + problem.message, problem)
    return list(problems.values())


def _show(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 60 else text[:57] + "..."


def _describe(err: SchemaError) -> ShapeProblem:
    kw, exp, sub, inst, ptr = err.keyword, err.expected, err.subschema, err.instance, err.pointer
    if kw == "additionalProperties" and isinstance(inst, dict):
        allowed = sorted(sub.get("properties", {}))
        unknown = sorted(set(inst) - set(allowed))
        key = unknown[0] if unknown else "?"
        return ShapeProblem(f"{ptr}/{key}", f"unknown key '{key}'",
                            f"remove it or fix its spelling; allowed here: {', '.join(allowed)}")
    if kw == "required" and isinstance(inst, dict):
        missing = [k for k in exp if k not in inst]
        return ShapeProblem(ptr, f"missing required key '{missing[0] if missing else exp}'",
                            "add it (see schemas/environment.schema.json)")
    if kw == "type":
        return ShapeProblem(ptr, f"expected {exp}, got {_show(inst)}", f"write a value of type {exp}")
    if kw in ("enum", "const"):
        choices = exp if kw == "enum" else [exp]
        return ShapeProblem(ptr, f"{_show(inst)} is not allowed",
                            f"use one of {', '.join(_show(c) for c in choices)}")
    if kw in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        bound = {"minimum": "at least", "maximum": "at most",
                 "exclusiveMinimum": "more than", "exclusiveMaximum": "less than"}[kw]
        return ShapeProblem(ptr, f"{_show(inst)} is out of range", f"use a value {bound} {exp}")
    if kw == "pattern":
        what = sub.get("description", f"a value matching {exp}")
        written = canonical(inst) if isinstance(inst, str) else None
        if written is not None and written != inst:
            return ShapeProblem(ptr, f"{_show(inst)} has the wrong form (a number with a leading "
                                "zero)", f"write {written}; expected {what}")
        return ShapeProblem(ptr, f"{_show(inst)} has the wrong form", f"expected {what}")
    if kw in ("minItems", "minLength"):
        return ShapeProblem(ptr, f"{_show(inst)} is too short", f"give at least {exp}")
    if kw in ("maxItems", "maxLength"):
        return ShapeProblem(ptr, f"{_show(inst)} is too long", f"give at most {exp}")
    if kw == "uniqueItems":
        return ShapeProblem(ptr, "repeats an item", "list each item once")
    if kw == "oneOf" and "secure" in json.dumps(exp):
        return ShapeProblem(ptr, "is not a secret value",
                            "write {secure: ...} (pulumi config set --secret) or {generated: true}")
    return ShapeProblem(ptr, err.message, "see schemas/environment.schema.json")
