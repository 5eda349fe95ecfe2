"""Fixture corpus: a base example spec plus a JSON Patch, with the control ids expected to fire."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import jsonpatch
import yaml

from mlps.spec import LoadedSpec, load_spec, spec_from_config

ROOT = Path(__file__).resolve().parent.parent
CORPUS = Path(__file__).resolve().parent / "corpus"


@dataclass(frozen=True)
class Fixture:
    path: Path
    control: str
    kind: str  # "pass" or "fail"
    base: str
    level: int | None
    patch: tuple[dict[str, Any], ...]
    expect: frozenset[str]
    description: str
    error: tuple[str, ...] = ()
    """For an input-error fixture: texts the one-line error must contain (exit 2, no findings)."""

    @property
    def id(self) -> str:
        return f"{self.control}/{self.path.stem}"


@cache
def base_spec(name: str) -> LoadedSpec:
    return load_spec(ROOT / f"Pulumi.{name}.yaml")


def fixtures() -> list[Fixture]:
    out = []
    for path in sorted(CORPUS.glob("*/*.yaml")):
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        kind = path.stem.split("-", 1)[0]
        out.append(Fixture(
            path=path, control=path.parent.name, kind=kind, base=raw.get("base", "hybrid-prod"),
            level=raw.get("level"), patch=tuple(raw.get("patch") or ()),
            expect=frozenset(raw.get("expect") or ()), description=raw.get("description", ""),
            error=tuple(raw.get("error") or ()),
        ))
    return out


def materialise(fixture: Fixture) -> LoadedSpec:
    """The base example with the fixture's patch applied, shape-checked and defaulted."""
    data = copy.deepcopy(base_spec(fixture.base).data)
    patched = jsonpatch.apply_patch(data, list(fixture.patch))
    return spec_from_config(patched, str(fixture.path))
