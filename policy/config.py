"""The pack config for one 等保 level:
``python -m policy.config LEVEL [--rpo-hours=N] [IMAGE ...] > level.json``, then
``pulumi preview --policy-pack policy --policy-pack-config level.json``.

Each policy gets the ``level`` its checks run at, the enforcement that level gives it, when
images are named ``approvedImages`` (the spec's ``cloud.approved_images``) and when an RPO is
named ``rpoHours`` (the spec's ``backup.rpo_hours``; without it a backup plan's schedule is
judged against the ``mlps:rpo-hours`` tag of its vault).
"""

from __future__ import annotations

import json
import sys
from typing import Any

from policy.policies import POLICIES

RPO_OPTION = "--rpo-hours="


def pack_config(
    level: int, approved_images: list[str] | None = None, rpo_hours: int | None = None
) -> dict[str, Any]:
    if level not in (2, 3, 4):
        raise ValueError(f"level {level!r}: use 2, 3 or 4")
    config: dict[str, Any] = {}
    for policy in POLICIES:
        entry: dict[str, Any] = {"enforcementLevel": policy.enforcement(level), "level": level}
        if approved_images:
            entry["approvedImages"] = list(approved_images)
        if rpo_hours is not None:
            entry["rpoHours"] = rpo_hours
        config[policy.name] = entry
    return config


def main(argv: list[str]) -> int:
    rpo = [a.removeprefix(RPO_OPTION) for a in argv if a.startswith(RPO_OPTION)]
    rest = [a for a in argv if not a.startswith(RPO_OPTION)]
    rpo_ok = len(rpo) <= 1 and all(h.isdigit() and int(h) > 0 for h in rpo)
    if not rest or rest[0] not in ("2", "3", "4") or not rpo_ok:
        print(
            f"usage: python -m policy.config LEVEL [{RPO_OPTION}N] [IMAGE ...]"
            "  (LEVEL is 2, 3 or 4, N hours ≥ 1)",
            file=sys.stderr,
        )
        return 2
    config = pack_config(int(rest[0]), rest[1:] or None, int(rpo[0]) if rpo else None)
    print(json.dumps(config, indent=2, sort_keys=True))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
