"""The pack config for one 等保 level:
``python -m policy.config LEVEL [--rpo-hours=N] [--flows=FILE] [--lines=N] [IMAGE ...] > level.json``,
then
``pulumi preview --policy-pack policy --policy-pack-config level.json``.

Each policy gets the ``level`` its checks run at, the enforcement that level gives it, when
images are named ``approvedImages`` (the spec's ``cloud.approved_images``) and when an RPO is
named ``rpoHours`` (the spec's ``backup.rpo_hours``; without it a backup plan's schedule is
judged against the ``mlps:rpo-hours`` tag of its vault), and when a ``reachability.json`` of
``mlps synth`` is named ``requiredFlows``: the flows the spec needs through the cloud boundaries
(without them, ``required_flows_permitted`` reports that it cannot judge the rules), and when
a count of lines is named ``dedicatedLines``: the dedicated lines the spec ends in the cloud (its
``links`` in a hybrid layout, 0 otherwise; without it ``dedicated_lines_redundant`` judges only
the lines the plan builds).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from mlps.required_flows import FIELDS, RequiredFlow, flows_from_json, flows_to_json
from policy.policies import POLICIES

RPO_OPTION = "--rpo-hours="
FLOWS_OPTION = "--flows="
LINES_OPTION = "--lines="


def pack_config(
    level: int,
    approved_images: list[str] | None = None,
    rpo_hours: int | None = None,
    required_flows: tuple[RequiredFlow, ...] | None = None,
    dedicated_lines: int | None = None,
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
        if required_flows is not None:
            entry["requiredFlows"] = flows_to_json(required_flows)
        if dedicated_lines is not None:
            entry["dedicatedLines"] = dedicated_lines
        config[policy.name] = entry
    return config


def _flows(path: str) -> tuple[RequiredFlow, ...]:
    """The required flows of a ``reachability.json`` written by ``mlps synth``."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{path}: {exc}") from None
    rows = data.get("flows") if isinstance(data, dict) else None
    if not isinstance(rows, list):
        raise ValueError(f"{path}: no list 'flows' (write it with mlps synth)")
    return flows_from_json([{k: v for k, v in r.items() if k in FIELDS} if isinstance(r, dict) else r
                            for r in rows], f"{path}: /flows")


def main(argv: list[str]) -> int:
    rpo = [a.removeprefix(RPO_OPTION) for a in argv if a.startswith(RPO_OPTION)]
    flows = [a.removeprefix(FLOWS_OPTION) for a in argv if a.startswith(FLOWS_OPTION)]
    lines = [a.removeprefix(LINES_OPTION) for a in argv if a.startswith(LINES_OPTION)]
    rest = [a for a in argv if not a.startswith((RPO_OPTION, FLOWS_OPTION, LINES_OPTION))]
    rpo_ok = len(rpo) <= 1 and all(h.isdigit() and int(h) > 0 for h in rpo)
    lines_ok = len(lines) <= 1 and all(n.isdigit() for n in lines)
    if not rest or rest[0] not in ("2", "3", "4") or not rpo_ok or len(flows) > 1 or not lines_ok:
        print(
            f"usage: python -m policy.config LEVEL [{RPO_OPTION}N] [{FLOWS_OPTION}FILE] "
            f"[{LINES_OPTION}N] [IMAGE ...]  (LEVEL is 2, 3 or 4, N hours ≥ 1, FILE the "
            "reachability.json of mlps synth, N lines ≥ 0: the spec's links in a hybrid layout)",
            file=sys.stderr,
        )
        return 2
    try:
        required = _flows(flows[0]) if flows else None
    except ValueError as exc:
        print(f"policy.config: {exc}", file=sys.stderr)
        return 2
    config = pack_config(int(rest[0]), rest[1:] or None, int(rpo[0]) if rpo else None, required,
                         int(lines[0]) if lines else None)
    print(json.dumps(config, indent=2, sort_keys=True, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
