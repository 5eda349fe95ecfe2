"""Safe YAML/JSON reading: size and structure limits, no aliases, line of every JSON pointer."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from mlps import safe_input
from mlps.errors import InputError
from mlps.pointers import escape

try:  # libyaml when present: ten times faster than the pure-Python parser
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - libyaml is in the pinned wheel
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

MAX_BYTES = 4 * 1024 * 1024
MAX_NODES = 200_000
MAX_DEPTH = 64

Lines = dict[str, int]


def read_text(path: Path) -> str:
    """Read a UTF-8 spec or waiver file: a regular file of at most MAX_BYTES bytes."""
    return safe_input.read_text(path, MAX_BYTES)


def parse(text: str, name: str) -> tuple[Any, Lines]:
    """Parse YAML (JSON is YAML) into plain data and a map JSON pointer -> 1-based line."""
    if name.endswith(".json"):
        try:
            # precise JSON errors before the YAML parser sees it
            json.loads(text, parse_int=safe_input.check_number, parse_float=safe_input.check_number,
                       parse_constant=safe_input.check_number)
        except json.JSONDecodeError as exc:
            raise InputError(name, f"invalid JSON: {exc.msg}", "fix the syntax",
                             where=f"line {exc.lineno}, column {exc.colno}") from None
        except ValueError as exc:
            raise InputError(name, f"invalid JSON: {exc}", "write a plain number") from None
        except RecursionError:
            raise InputError(name, f"nested deeper than {MAX_DEPTH} levels",
                             "a spec is never this deep; check the file") from None
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise InputError(name, "the file is empty", "write the environment spec into it")
        lines: Lines = {}
        _walk(node, "", 0, lines, set(), name)
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = exc.problem or exc.context or "invalid YAML"
        raise InputError(name, f"invalid YAML: {problem}", "fix the syntax", where=where) from None
    except yaml.YAMLError as exc:
        raise InputError(name, f"invalid YAML: {exc}", "fix the syntax") from None
    except RecursionError:
        raise InputError(name, f"nested deeper than {MAX_DEPTH} levels",
                         "a spec is never this deep; check the file") from None
    finally:
        loader.dispose()
    return data, lines


_TAG = "tag:yaml.org,2002:"
_SCALAR_TAGS = {_TAG + t for t in ("str", "int", "float", "bool", "null")}


def _walk(node: yaml.Node, pointer: str, depth: int, lines: Lines, seen: set[int], name: str) -> None:
    """Record lines, refuse aliases (YAML bombs), duplicate keys, runaway size or depth."""
    if id(node) in seen:
        raise InputError(name, "anchors and aliases (&, *) are not allowed in a spec",
                         "write the values out in full", where=f"line {node.start_mark.line + 1}")
    seen.add(id(node))
    if len(seen) > MAX_NODES:
        raise InputError(name, f"more than {MAX_NODES} values", "a spec is never this large")
    if depth > MAX_DEPTH:
        raise InputError(name, f"nested deeper than {MAX_DEPTH} levels", "check the file",
                         where=f"line {node.start_mark.line + 1}")
    lines.setdefault(pointer or "", node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        if node.tag != _TAG + "map":
            raise InputError(name, f"the YAML tag {node.tag} is not allowed in a spec",
                             "use plain mappings", where=f"line {node.start_mark.line + 1}")
        keys: set[str] = set()
        for key_node, value_node in node.value:
            key = str(key_node.value)
            if key_node.tag != _TAG + "str":
                raise InputError(name, f"key {key!r} is not a string", "quote it",
                                 where=f"line {key_node.start_mark.line + 1}")
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise InputError(name, "merge keys (<<) are not allowed in a spec",
                                 "write the values out in full",
                                 where=f"line {key_node.start_mark.line + 1}")
            if key in keys:
                raise InputError(name, f"duplicate key '{key}'", "keep one of them",
                                 where=f"line {key_node.start_mark.line + 1}")
            keys.add(key)
            child = f"{pointer}/{escape(key)}"
            lines[child] = key_node.start_mark.line + 1
            _walk(value_node, child, depth + 1, lines, seen, name)
    elif isinstance(node, yaml.SequenceNode):
        if node.tag != _TAG + "seq":
            raise InputError(name, f"the YAML tag {node.tag} is not allowed in a spec",
                             "use plain lists", where=f"line {node.start_mark.line + 1}")
        for index, item in enumerate(node.value):
            _walk(item, f"{pointer}/{index}", depth + 1, lines, seen, name)
    elif node.tag == _TAG + "timestamp":
        node.tag = _TAG + "str"  # dates stay strings: JSON has no date type
    elif node.tag in (_TAG + "int", _TAG + "float"):
        try:
            safe_input.check_number(str(node.value))
        except ValueError as exc:
            raise InputError(name, str(exc), "write a plain number",
                             where=f"line {node.start_mark.line + 1}") from None
    elif node.tag not in _SCALAR_TAGS:
        raise InputError(name, f"the YAML tag {node.tag} is not allowed in a spec",
                         "use plain strings, numbers, booleans, lists and mappings",
                         where=f"line {node.start_mark.line + 1}")
