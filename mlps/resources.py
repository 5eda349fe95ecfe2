"""Where the package's data files live: the schemas and the catalog, both inside the package (the
project's top-level ``schemas`` is a link to ``mlps/schemas``)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = PACKAGE_DIR.parent
SCHEMAS_DIR = PACKAGE_DIR / "schemas"
CATALOG_DIR = PACKAGE_DIR / "catalog"


@cache
def load_schema(name: str) -> dict[str, Any]:
    """One of the project's JSON Schemas, e.g. ``environment`` or ``level-3``."""
    with (SCHEMAS_DIR / f"{name}.schema.json").open(encoding="utf-8") as fh:
        schema: dict[str, Any] = json.load(fh)
    return schema
