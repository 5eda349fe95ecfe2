"""Readable zh/en messages for a failed level rule."""

from __future__ import annotations

import json
from typing import Any

from mlps.schema_engine import SchemaError


def show(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 80 else text[:77] + "..."


def describe(err: SchemaError, pointer: str) -> tuple[str, str]:
    """(zh, en) saying what was found at ``pointer`` and what the rule wants."""
    kw, exp, inst = err.keyword, err.expected, err.instance
    at = pointer or "/"
    if kw == "const":
        return (f"{at} 为 {show(inst)}，要求为 {show(exp)}",
                f"{at} is {show(inst)}; required: {show(exp)}")
    if kw == "enum":
        choices = "、".join(show(e) for e in exp)
        return (f"{at} 为 {show(inst)}，要求为 {choices} 之一",
                f"{at} is {show(inst)}; required: one of {', '.join(show(e) for e in exp)}")
    bounds = {"minimum": ("不小于", "at least"), "maximum": ("不大于", "at most"),
              "exclusiveMinimum": ("大于", "more than"), "exclusiveMaximum": ("小于", "less than"),
              "minItems": ("条目数不少于", "at least this many items:"),
              "maxItems": ("条目数不多于", "at most this many items:"),
              "minLength": ("长度不少于", "length at least"),
              "minProperties": ("键数不少于", "at least this many keys:")}
    if kw in bounds:
        zh, en = bounds[kw]
        shown = len(inst) if kw in ("minItems", "maxItems", "minLength", "minProperties") else inst
        return (f"{at} 为 {show(shown)}，要求{zh} {exp}",
                f"{at} is {show(shown)}; required: {en} {exp}")
    if kw == "required" and isinstance(inst, dict):
        missing = ", ".join(k for k in exp if k not in inst)
        return (f"{at} 缺少 {missing}", f"{at} lacks {missing}")
    if kw == "contains":
        return (f"{at} 中没有满足要求的条目", f"{at} has no item that meets the requirement")
    if kw in ("not", "false"):
        return (f"{at} 为 {show(inst)}，该取值不被允许", f"{at} is {show(inst)}, which is not allowed")
    if kw == "pattern":
        return (f"{at} 为 {show(inst)}，不符合要求的格式 {exp}",
                f"{at} is {show(inst)}; it must match {exp}")
    return (f"{at}：{err.message}", f"{at}: {err.message}")
