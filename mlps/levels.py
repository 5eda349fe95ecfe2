"""Build schemas/level-N.schema.json from the catalog's spec rules."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from mlps.controls import LEVELS, Catalog
from mlps.resources import SCHEMAS_DIR
from mlps.safe_output import replace_file

LEVEL_NAMES = {2: "第二级", 3: "第三级", 4: "第四级"}
CONTROL_KEY = "x-mlps-control"


def level_schema(cat: Catalog, level: int) -> dict[str, Any]:
    """One ``allOf`` entry per spec rule, each carrying its control id and clause."""
    entries: list[dict[str, Any]] = []
    for control in cat.at_level(level):
        for index, rule in enumerate(control.rules_at(level)):
            entry: dict[str, Any] = {
                "$comment": f"{control.id} {control.clause_at(level)}: {control.title.en}",
                CONTROL_KEY: control.id,
                "x-mlps-clause": control.clause_at(level),
                "x-mlps-rule": index,
            }
            if rule.pointer:
                entry["x-mlps-pointer"] = rule.pointer
            entry.update(rule.schema)
            entries.append(entry)
    schema: dict[str, Any] = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"https://mlps.dev/schemas/level-{level}.schema.json",
        "title": f"等保{LEVEL_NAMES[level]} (MLPS level {level}) constraints on the environment spec",
        "description": (
            "Generated from mlps/catalog by `mlps schemas build`; do not edit by hand. Apply it to a "
            "spec that already passes environment.schema.json, with its defaults filled in. Each "
            "allOf entry is one rule of the control named by x-mlps-control, at the clause "
            "x-mlps-clause of GB/T 22239-2019."
        ),
    }
    if entries:
        schema["allOf"] = entries
    return schema


def render(schema: dict[str, Any]) -> str:
    return json.dumps(schema, ensure_ascii=False, indent=2) + "\n"


def build(cat: Catalog, directory: Path = SCHEMAS_DIR, check: bool = False) -> list[Path]:
    """Write the level schemas; with ``check`` only return those that are out of date."""
    stale: list[Path] = []
    for level in LEVELS:
        path = directory / f"level-{level}.schema.json"
        text = render(level_schema(cat, level))
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            stale.append(path)
            if not check:
                replace_file(path, text.encode("utf-8"), "the schema", mode=0o644)
    return stale
