"""Named cross-field checks of the environment spec.

Each check (registered with ``register``) is called as ``REGISTRY[name](spec, level)`` and yields
``(pointer, message_zh, message_en)`` for every problem it finds; the engine reports
them against the control whose catalog entry names the check.
"""

from __future__ import annotations

from mlps.checks import accounts, admin, bandwidth, data, logs, network, secrets
from mlps.checks.registry import REGISTRY, CheckFn, Problem, Spec, check, register

__all__ = [
    "REGISTRY",
    "CheckFn",
    "Problem",
    "Spec",
    "accounts",
    "admin",
    "bandwidth",
    "check",
    "data",
    "logs",
    "network",
    "register",
    "secrets",
]
