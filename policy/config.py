"""The pack config for one 等保 level: ``python -m policy.config LEVEL [IMAGE ...] > level.json``,
then ``pulumi preview --policy-pack policy --policy-pack-config level.json``.

Each policy gets the ``level`` its checks run at, the enforcement that level gives it and, when
images are named, ``approvedImages`` (the spec's ``cloud.approved_images``).
"""

from __future__ import annotations

import json
import sys
from typing import Any

from policy.policies import POLICIES


def pack_config(level: int, approved_images: list[str] | None = None) -> dict[str, Any]:
    if level not in (2, 3, 4):
        raise ValueError(f"level {level!r}: use 2, 3 or 4")
    config: dict[str, Any] = {}
    for policy in POLICIES:
        entry: dict[str, Any] = {"enforcementLevel": policy.enforcement(level), "level": level}
        if approved_images:
            entry["approvedImages"] = list(approved_images)
        config[policy.name] = entry
    return config


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("2", "3", "4"):
        print("usage: python -m policy.config LEVEL [IMAGE ...]  (LEVEL is 2, 3 or 4)", file=sys.stderr)
        return 2
    print(json.dumps(pack_config(int(argv[0]), argv[1:] or None), indent=2, sort_keys=True))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
