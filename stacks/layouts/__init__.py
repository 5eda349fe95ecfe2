"""Layouts: onprem, cloud and hybrid, each a function ``build(env, parent)``."""

from __future__ import annotations

from collections.abc import Callable

import pulumi

from stacks.components.object_storage import ObjectStorage
from stacks.layouts import cloud, hybrid, onprem
from stacks.model import Environment

LAYOUTS: dict[str, Callable[[Environment, pulumi.ComponentResource], ObjectStorage]] = {
    "onprem": onprem.build,
    "cloud": cloud.build,
    "hybrid": hybrid.build,
}
