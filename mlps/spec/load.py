"""Load an environment spec from Pulumi.<env>.yaml or from a plain YAML/JSON file."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlps.errors import InputError
from mlps.pointers import escape
from mlps.spec.defaults import apply_defaults
from mlps.spec.integrity import input_problems, number_problems, text_problems
from mlps.spec.placement import layout_problems
from mlps.spec.shape import check_shape
from mlps.spec.yamlsource import Lines, parse, read_text

CONFIG_KEY = "mlps:environment"


@dataclass
class LoadedSpec:
    """A spec as written (``data``), with defaults applied (``effective``) and its source.

    ``prefix`` is the JSON pointer of the spec inside its file (``/config/mlps:environment``
    for a Pulumi stack file, empty for a plain spec file).
    """

    data: dict[str, Any]
    file: str
    prefix: str = ""
    lines: Lines = field(default_factory=dict, repr=False)
    effective: dict[str, Any] = field(default_factory=dict, repr=False)
    stack_config: dict[str, Any] = field(default_factory=dict, repr=False)
    """The stack file's other plain ``mlps:`` settings (``mlps:imageId``…), which the program reads
    as ``pulumi up`` would; encrypted (``secure``) values are left out: offline they cannot be read."""

    @property
    def level(self) -> int:
        return int(self.data["level"])

    @property
    def name(self) -> str:
        return str(self.data["name"])

    def pointer_line(self, pointer: str) -> int | None:
        """Line of the nearest written ancestor of ``pointer`` (defaults have no line)."""
        parts = pointer.split("/")
        while parts:
            line = self.lines.get(self.prefix + "/".join(parts))
            if line is not None:
                return line
            parts.pop()
        return self.lines.get(self.prefix)

    def where(self, pointer: str) -> str:
        """``line N (pointer)`` for an error's place, or the pointer alone for a default."""
        line = self.pointer_line(pointer)
        shown = pointer or "/"
        return f"line {line} ({shown})" if line else shown


def load_spec(path: str | Path) -> LoadedSpec:
    """Read, check the shape of and complete one spec file; raise InputError if unusable."""
    path = Path(path)
    name = str(path)
    data, lines = parse(read_text(path), name)
    if not isinstance(data, dict):
        raise InputError(name, "the file does not hold a mapping",
                         "a spec is a mapping with name, hospital, level, layout and zones")
    prefix = ""
    if "config" in data and "name" not in data:
        config = data["config"]
        if not isinstance(config, dict) or CONFIG_KEY not in config:
            raise InputError(name, f"no '{CONFIG_KEY}' key under 'config'",
                             f"add the environment spec as config key {CONFIG_KEY} "
                             "(see Pulumi.hybrid-prod.yaml)",
                             where=f"line {lines.get('/config', 1)}")
        data = config[CONFIG_KEY]
        prefix = f"/config/{escape(CONFIG_KEY)}"
        settings = {k: v for k, v in config.items() if isinstance(k, str) and k.startswith("mlps:")
                    and k != CONFIG_KEY and not (isinstance(v, dict) and "secure" in v)}
    else:
        settings = {}
    spec = LoadedSpec(data=data, file=name, prefix=prefix, lines=lines, stack_config=settings)
    return _complete(spec)


def spec_from_config(value: Any, source: str) -> LoadedSpec:
    """Build a spec from an already parsed value (e.g. Pulumi's ``require_object``)."""
    if not isinstance(value, dict):
        raise InputError(source, f"'{CONFIG_KEY}' is not a mapping",
                         "set it to the environment spec (see Pulumi.hybrid-prod.yaml)")
    return _complete(LoadedSpec(data=value, file=source))


def _complete(spec: LoadedSpec) -> LoadedSpec:
    problems = ((text_problems(spec.data) + number_problems(spec.data)) or check_shape(spec.data)
                or layout_problems(spec.data) or input_problems(spec.data))
    if problems:
        errors = [InputError(spec.file, p.message, p.hint, where=_where(spec, p.pointer))
                  for p in problems]
        first = errors[0]
        first.more = [e.line() for e in errors[1:]]
        raise first
    spec.effective = apply_defaults(spec.data)
    return spec


def _where(spec: LoadedSpec, pointer: str) -> str:
    return spec.where(pointer)
