"""No plaintext secret anywhere the spec holds a secret."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from mlps.checks.registry import Problem, Spec, register

SECRET_PATHS: tuple[tuple[str, ...], ...] = (
    ("links", "*", "bgp", "password"),
    ("object_storage", "encryption_key"),
)
"""Every place environment.schema.json types as `#/$defs/secret` (`*` = any array item)."""


def _walk(value: Any, path: tuple[str, ...], pointer: str) -> Iterator[tuple[str, Any]]:
    if not path:
        yield pointer, value
        return
    head, rest = path[0], path[1:]
    if head == "*":
        if isinstance(value, list):
            for i, item in enumerate(value):
                yield from _walk(item, rest, f"{pointer}/{i}")
    elif isinstance(value, dict) and head in value:
        yield from _walk(value[head], rest, f"{pointer}/{head}")


def no_plaintext_secrets(spec: Spec, level: int) -> Iterator[Problem]:
    """Secrets are Pulumi `secure:` values or `generated: true`, never plain strings."""
    for path in SECRET_PATHS:
        for pointer, value in _walk(spec, path, ""):
            if isinstance(value, str):
                yield (
                    pointer,
                    "此处的密钥以明文写在环境描述中；请用 `pulumi config set --secret` 保存为 "
                    "secure 值，或写 `generated: true` 由部署时生成。",
                    "This secret stands in plaintext in the spec; store it with `pulumi config "
                    "set --secret` (a secure value) or write `generated: true` to have it "
                    "generated at deploy time.",
                )


register(no_plaintext_secrets)
