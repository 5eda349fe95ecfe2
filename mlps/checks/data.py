"""Cross-field checks of where data lives."""
# ruff: noqa: RUF001

from __future__ import annotations

from collections.abc import Iterator

from mlps.checks.registry import Problem, Spec, check, items


@check("core_data_onprem")
def core_data_onprem(spec: Spec, level: int) -> Iterator[Problem]:
    """Hybrid layout: buckets and workloads holding core medical data are placed on-prem."""
    if spec.get("layout") != "hybrid":
        return
    for key, what_zh, what_en in (
        ("object_storage", "存储桶", "Bucket"),
        ("workloads", "应用", "Workload"),
    ):
        entries = items(spec, key) if key == "workloads" else _buckets(spec)
        base = "/object_storage/buckets" if key == "object_storage" else "/workloads"
        for i, entry in entries:
            if entry.get("data_class") == "core" and entry.get("placement") == "cloud":
                yield (
                    f"{base}/{i}/placement",
                    f"{what_zh} {entry.get('name')} 保存核心医疗数据，"
                    "混合部署下核心数据只能放在院内（placement: onprem）。",
                    f"{what_en} {entry.get('name')} holds core medical data; in a hybrid layout "
                    "core data stays on-prem (placement: onprem).",
                )


def _buckets(spec: Spec) -> list[tuple[int, dict[str, object]]]:
    storage = spec.get("object_storage")
    return items(storage, "buckets") if isinstance(storage, dict) else []
