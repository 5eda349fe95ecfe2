"""No plaintext secret anywhere the spec holds a secret."""

from __future__ import annotations

from collections.abc import Iterator

from mlps.checks.registry import Problem, Spec, register
from mlps.pointers import walk

SECRET_PATHS: tuple[tuple[str, ...], ...] = (
    ("links", "*", "bgp", "password"),
    ("object_storage", "encryption_key"),
)
"""Every place environment.schema.json types as `#/$defs/secret` (`*` = any array item)."""


def no_plaintext_secrets(spec: Spec, level: int) -> Iterator[Problem]:
    """Secrets are Pulumi `secure:` values or `generated: true`, never plain strings."""
    for path in SECRET_PATHS:
        for pointer, value in walk(spec, path):
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
