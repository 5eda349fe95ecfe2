"""JSON pointers (RFC 6901)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any


def escape(token: str) -> str:
    """Escape one pointer token."""
    return token.replace("~", "~0").replace("/", "~1")


def to_pointer(path: Iterable[Any]) -> str:
    """The pointer of a path of keys and indexes."""
    return "".join(f"/{escape(str(p))}" for p in path)


def resolve(document: Any, pointer: str) -> Any:
    """The value at ``pointer``; KeyError/IndexError when it is absent."""
    node = document
    for token in pointer.split("/")[1:] if pointer else []:
        token = token.replace("~1", "/").replace("~0", "~")
        node = node[int(token)] if isinstance(node, list) else node[token]
    return node


def walk(data: Any, path: tuple[str, ...], pointer: str = "") -> Iterator[tuple[str, Any]]:
    """Every (pointer, value) at a path of keys, where ``*`` stands for each item of a list."""
    if not path:
        yield pointer, data
        return
    head, rest = path[0], path[1:]
    if head == "*":
        if isinstance(data, list):
            for i, item in enumerate(data):
                yield from walk(item, rest, f"{pointer}/{i}")
    elif isinstance(data, dict) and head in data:
        yield from walk(data[head], rest, f"{pointer}/{escape(head)}")
