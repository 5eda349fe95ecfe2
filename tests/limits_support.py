"""Walk the level schemas for their limits: each bound with its control, path and conditions."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BOUNDS = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "minItems", "maxItems",
          "minLength", "maxLength", "minContains", "maxContains")
Path_ = tuple[str, ...]
"""Instance path; ``*`` stands for any item of an array."""


@dataclass(frozen=True)
class Condition:
    """The limit holds where the instance at ``path`` does (``holds``) or does not match ``schema``."""

    path: Path_
    schema_json: str
    holds: bool

    @property
    def schema(self) -> dict[str, Any]:
        return json.loads(self.schema_json)  # type: ignore[no-any-return]


@dataclass(frozen=True)
class Limit:
    control: str
    level: int
    path: Path_
    keyword: str
    value: Any
    conditions: tuple[Condition, ...] = ()
    contains_json: str = ""
    rule: int = 0
    """Index of the rule among the control's rules at ``level`` (x-mlps-rule)."""
    """For minContains/maxContains: the ``contains`` schema the count is of."""

    @property
    def contains(self) -> dict[str, Any]:
        return json.loads(self.contains_json)  # type: ignore[no-any-return]

    @property
    def pointer(self) -> str:
        return "/" + "/".join(self.path)

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.control, self.pointer, self.keyword)


def level_schema(level: int) -> dict[str, Any]:
    text = (ROOT / "schemas" / f"level-{level}.schema.json").read_text(encoding="utf-8")
    return json.loads(text)  # type: ignore[no-any-return]


def _walk(node: Any, path: Path_, conds: tuple[Condition, ...], control: str, level: int,
          out: list[Limit], rule: int = 0) -> None:
    if not isinstance(node, dict):
        return
    for key in BOUNDS:
        if key in node:
            contains = json.dumps(node["contains"]) if key.endswith("Contains") else ""
            out.append(Limit(control, level, path, key, node[key], conds, contains, rule))
    if "enum" in node:
        out.append(Limit(control, level, path, "enum", tuple(node["enum"]), conds, rule=rule))
    for name, sub in (node.get("properties") or {}).items():
        _walk(sub, (*path, name), conds, control, level, out, rule)
    if "items" in node:
        _walk(node["items"], (*path, "*"), conds, control, level, out, rule)
    for key in ("allOf", "anyOf", "oneOf"):
        for sub in node.get(key, []):
            _walk(sub, path, conds, control, level, out, rule)
    if "if" in node:
        cond = json.dumps(node["if"], sort_keys=True)
        if "then" in node:
            _walk(node["then"], path, (*conds, Condition(path, cond, True)), control, level, out,
                  rule)
        if "else" in node:
            _walk(node["else"], path, (*conds, Condition(path, cond, False)), control, level, out,
                  rule)
    # `not` (a deny list), `contains` and `if` themselves hold no limit of their own


def limits(level: int) -> list[Limit]:
    """Every bound and enum of ``schemas/level-<level>.schema.json``."""
    out: list[Limit] = []
    for entry in level_schema(level).get("allOf", []):
        body = {k: v for k, v in entry.items() if not k.startswith(("x-", "$"))}
        _walk(body, (), (), entry["x-mlps-control"], level, out, entry["x-mlps-rule"])
    return out
