"""Stable resource names derived from the spec.

Every Pulumi name starts with the environment name, so two environments built by one
program (or two stacks sharing a backend) never collide and a re-run yields the same names.
"""

from __future__ import annotations

import hashlib
import re

_UNSAFE = re.compile(r"[^a-z0-9-]+")


def res(env: str, *parts: str) -> str:
    """Pulumi logical name: ``<env>-<part>-<part>``."""
    return "-".join((env, *(_UNSAFE.sub("-", p.lower()).strip("-") for p in parts)))


def digest(text: str) -> str:
    """Short content hash used as a replacement trigger (stable across runs)."""
    return hashlib.sha256(text.encode()).hexdigest()[:16]
