"""Cross-field checks of where data lives."""

from __future__ import annotations

from collections.abc import Iterator

from mlps.checks.registry import Problem, Spec, items, register, section


def core_data_onprem(spec: Spec, level: int) -> Iterator[Problem]:
    """Hybrid layout: buckets and workloads holding core medical data are placed on-prem."""
    if spec.get("layout") != "hybrid":
        return
    places = (
        ("/object_storage/buckets", items(section(spec, "object_storage"), "buckets"),
         "存储桶", "Bucket"),
        ("/workloads", items(spec, "workloads"), "应用", "Workload"),
    )
    for base, entries, what_zh, what_en in places:
        for i, entry in entries:
            if entry.get("data_class") == "core" and entry.get("placement") == "cloud":
                yield (
                    f"{base}/{i}/placement",
                    f"{what_zh} {entry.get('name')} 保存核心医疗数据，"
                    "混合部署下核心数据只能放在院内（placement: onprem）。",
                    f"{what_en} {entry.get('name')} holds core medical data; in a hybrid layout "
                    "core data stays on-prem (placement: onprem).",
                )


register(core_data_onprem)
