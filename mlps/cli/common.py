"""What every command shares: clean exits on user mistakes, plain help, the spec argument."""

from __future__ import annotations

import functools
import hashlib
import importlib
import sys
from collections.abc import Callable, Sequence
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, ParamSpec, TypeVar

import typer
from typer.core import TyperCommand

from mlps.bundle import MAX_INPUT
from mlps.errors import InputError
from mlps.report.model import InputDigest
from mlps.safe_input import read_bytes
from mlps.spec import LoadedSpec

P = ParamSpec("P")
R = TypeVar("R")

EXIT_OK, EXIT_FINDINGS, EXIT_UNUSABLE = 0, 1, 2
REPORT_MODE = 0o644  # every report file, in a report directory or written with --output

SoftFail = Annotated[bool, typer.Option(
    "--soft-fail", help="Exit 0 even when controls fail (bad input still exits 2).")]
SpecOption = Annotated[list[Path] | None, typer.Option(
    "--spec", metavar="SPEC", help="Pulumi.<env>.yaml or spec file (same as the SPEC argument).")]


class Format(StrEnum):
    text = "text"
    json = "json"
    sarif = "sarif"
    junit = "junit"
    html = "html"


def user_errors(fn: Callable[P, R]) -> Callable[P, R]:
    """Turn InputError (and unreadable output paths) into one line on stderr and exit 2."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except InputError as exc:
            for line in exc.lines():
                print(f"mlps: error: {line}", file=sys.stderr)
            raise typer.Exit(EXIT_UNUSABLE) from None

    return wrapper


def require_extra(command: str, module: str, extra: str) -> None:
    """Refuse with one line (exit 2) when an optional dependency of ``command`` is missing."""
    try:
        importlib.import_module(module)
    except ImportError:
        raise InputError(f"mlps {command}", f"needs {module}, which is not installed",
                         f"install the extra: pip install 'mlps[{extra}]'") from None


def findings_exit(failed: bool, soft_fail: bool) -> typer.Exit:
    """Exit 1 when controls fail, unless --soft-fail; 0 otherwise."""
    return typer.Exit(EXIT_FINDINGS if failed and not soft_fail else EXIT_OK)


def one_spec(command: str, positional: Path | None, option: Path | None) -> Path:
    """The spec named by the SPEC argument or --spec (the same file if both are given)."""
    named = [p for p in (positional, option) if p is not None]
    if not named:
        raise InputError(f"mlps {command}", "no spec given", "name it: SPEC or --spec SPEC")
    if len({p.resolve() for p in named}) > 1:
        raise InputError(str(named[1]), "a second spec given", "this command takes one spec")
    return named[0]


def digests(paths: Sequence[Path]) -> list[InputDigest]:
    """SHA-256 of every input file, in the order given (each file once)."""
    seen: dict[str, InputDigest] = {}
    for path in paths:
        if str(path) not in seen:
            digest = hashlib.sha256(read_bytes(path, MAX_INPUT)).hexdigest()
            seen[str(path)] = InputDigest(str(path), digest)
    return list(seen.values())


def hospital_name(spec: LoadedSpec) -> str:
    """The hospital's name as the spec gives it (empty when it gives none)."""
    hospital = spec.effective.get("hospital")
    name = hospital.get("name") if isinstance(hospital, dict) else None
    return name if isinstance(name, str) else ""


def _label(param: Any, usage: bool) -> str:
    label = str(param.metavar or param.name.upper())
    if param.nargs != 1 and not label.endswith("..."):
        label += "..."
    return f"[{label}]" if usage and not param.required else label


def _choice_metavar(param: Any) -> str | None:
    desc = getattr(param, "type_descriptor", None)
    if desc is None or not desc.is_choice or not desc.choices:
        return None
    return "{" + ",".join(str(getattr(c, "value", c)) for c in desc.choices) + "}"


class Command(TyperCommand):
    """A command whose help names every value by a metavar (SPEC, DIR, {text,json}),
    never by a Python type."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.rich_markup_mode = None
        for param in self.params:
            if param.metavar is None and not getattr(param, "is_flag", False):
                param.metavar = _choice_metavar(param) or str(param.name).upper()

    def collect_usage_pieces(self, ctx: Any) -> list[str]:
        pieces = [self.options_metavar] if self.options_metavar else []
        return pieces + [_label(p, usage=True) for p in self.get_params(ctx)
                         if p.param_type_name == "argument"]

    def format_options(self, ctx: Any, formatter: Any) -> None:
        params = [p for p in self.get_params(ctx) if not getattr(p, "hidden", False)]
        args = [(_label(p, usage=False),
                 (getattr(p, "help", None) or "") + ("  [required]" if p.required else ""))
                for p in params if p.param_type_name == "argument"]
        opts = [record for p in params if p.param_type_name == "option"
                for record in [p.get_help_record(ctx)] if record]
        for title, rows in (("Arguments", args), ("Options", opts)):
            if rows:
                with formatter.section(title):
                    formatter.write_dl(rows)
