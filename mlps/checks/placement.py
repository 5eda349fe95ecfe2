"""What data a workload or bucket really holds, where it may live and how long it is kept.

A record system (HIS, EMR, PACS, LIS, RIS, CIS, NIS) holds medical records or images, sensitive
personal information under the Personal Information Protection Law (个人信息保护法) art. 28,
whatever ``data_class`` its spec entry says: the kind of system, a name that names one
(``pacs-viewer``, ``emr-archive``), the software its container image runs (``…/orthanc/orthanc``,
``…/emr/server``), a clinical protocol port it serves (DICOM, HL7) and the bucket such a workload
writes to all set the floor ``core``. A label can raise the class, never lower it, and renaming
a workload or calling it ``kind: other`` does not hide what it runs or speaks.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from mlps.checks.registry import Problem, Spec, items, register, section

RECORD_KINDS = frozenset({"his", "emr", "pacs", "lis", "ris", "cis", "nis"})
"""Workload kinds that hold medical records or images."""
RECORD_TOKENS = RECORD_KINDS | {"dicom", "orthanc", "image", "images", "imaging", "radiology",
                                "record", "records", "medrec", "ehr"}
"""Name parts that show a workload or bucket holds medical records or images."""
RECORD_SOFTWARE = RECORD_KINDS | {"dicom", "orthanc", "dcm4chee", "dcm4che", "conquest", "openemr",
                                  "openmrs", "gnuhealth", "openelis", "mirth", "fhir", "hl7", "mllp",
                                  "medrec", "ehr", "radiology"}
"""Parts of a container image's repository path that show record software (not the generic
``image`` or ``record``: ``tools/image-resizer`` is no imaging system)."""
RECORD_PORTS = {104: "DICOM", 11112: "DICOM", 2762: "DICOM over TLS", 4242: "DICOM (Orthanc)",
                8042: "Orthanc REST and DICOMweb", 2575: "HL7 MLLP"}
"""Ports of the clinical protocols record systems speak (IANA DICOM 104 and 11112, HL7 2575)."""
CORE_ZONES = frozenset({"core", "storage", "application"})
"""Zone kinds core data may live in (application: a cloud layout's internal app zone)."""
LEGAL_YEARS = {"outpatient_years": 15, "inpatient_years": 30}
"""医疗机构病历管理规定 (2013) art. 29: outpatient ≥ 15 years, inpatient ≥ 30 years."""
LAW_PIPL_ZH = "《个人信息保护法》第二十八条"
LAW_PIPL_EN = "Personal Information Protection Law art. 28"
LAW_RECORDS_ZH = "《医疗机构病历管理规定》（2013年）第二十九条"
LAW_RECORDS_EN = "Medical Record Management Rules for Medical Institutions (2013) art. 29"


def name_tokens(name: Any) -> set[str]:
    """The parts of a name split at anything not a letter or digit, a trailing number or version
    dropped (``pacs2``, ``emrv3`` name a PACS and an EMR)."""
    parts = re.split(r"[^a-z0-9]+", str(name).casefold())
    return {re.sub(r"(?<=[a-z])v?[0-9]+$", "", t) for t in parts if t}


def repository_tokens(image: Any) -> set[str]:
    """The name parts of a container image's repository path: without the registry host (a
    first component holding a dot or colon, or ``localhost``), the tag and the digest."""
    if not isinstance(image, str):
        return set()
    path = image.split("@", 1)[0]
    parts = path.split("/")
    if len(parts) > 1 and ("." in parts[0] or ":" in parts[0] or parts[0] == "localhost"):
        parts = parts[1:]
    parts[-1] = parts[-1].split(":", 1)[0]
    return set().union(*(name_tokens(part) for part in parts))


def record_reason(entry: dict[str, Any]) -> str | None:
    """Why a workload or bucket holds medical records regardless of its label, or None."""
    kind = entry.get("kind")
    if isinstance(kind, str) and kind in RECORD_KINDS:
        return f"kind {kind}"
    if name_tokens(entry.get("name", "")) & RECORD_TOKENS:
        return f"name {entry.get('name')}"
    if repository_tokens(entry.get("image")) & RECORD_SOFTWARE:
        return f"image {entry.get('image')}"
    port = entry.get("port")
    if isinstance(port, int) and not isinstance(port, bool) and port in RECORD_PORTS:
        return f"port {port}, {RECORD_PORTS[port]}"
    return None


def core_workloads(spec: Spec) -> list[tuple[int, dict[str, Any], str | None]]:
    """(index, workload, reason the label was overridden or None) for every core workload."""
    out = []
    for i, w in items(spec, "workloads"):
        reason = record_reason(w)
        if w.get("data_class") == "core" or reason:
            out.append((i, w, None if w.get("data_class") == "core" else reason))
    return out


def core_buckets(spec: Spec) -> list[tuple[int, dict[str, Any], str | None]]:
    """(index, bucket, reason the label was overridden or None) for every core bucket."""
    writers = {str(w.get("bucket")): w.get("name") for _, w, _ in core_workloads(spec)
               if w.get("bucket")}
    out = []
    for i, b in items(section(spec, "object_storage"), "buckets"):
        reason = record_reason(b)
        writer = writers.get(str(b.get("name")))
        if reason is None and writer is not None:
            reason = f"written by record workload {writer}"
        if b.get("data_class") == "core" or reason:
            out.append((i, b, None if b.get("data_class") == "core" else reason))
    return out


def _why(reason: str | None) -> tuple[str, str]:
    if reason is None:
        return "", ""
    return (f"（{reason}：病历与医学影像属{LAW_PIPL_ZH}规定的敏感个人信息，按核心数据处理，"
            "与 data_class 标签无关）",
            f" ({reason}: medical records and images are sensitive personal information under "
            f"the {LAW_PIPL_EN}, so it is core data whatever its data_class label)")


def core_data_placed_onprem(spec: Spec, level: int) -> Iterator[Problem]:
    """Hybrid layout: every workload and bucket holding core data is placed on-prem."""
    if spec.get("layout") != "hybrid":
        return
    for base, entries, what_zh, what_en in (
        ("/object_storage/buckets", core_buckets(spec), "存储桶", "Bucket"),
        ("/workloads", core_workloads(spec), "应用", "Workload"),
    ):
        for i, entry, reason in entries:
            if entry.get("placement") != "cloud":
                continue
            zh, en = _why(reason)
            yield (
                f"{base}/{i}/placement",
                f"{what_zh} {entry.get('name')} 保存核心医疗数据{zh}，混合部署下核心数据只能放在院内"
                "（placement: onprem）。",
                f"{what_en} {entry.get('name')} holds core medical data{en}; in a hybrid layout "
                "core data stays on-prem (placement: onprem).",
            )
    cloud_zones = {str(z.get("name")) for _, z in items(spec, "zones")
                   if z.get("placement") == "cloud"}
    for i, w, reason in core_workloads(spec):
        if w.get("placement") != "cloud" and str(w.get("zone")) in cloud_zones:
            zh, en = _why(reason)
            yield (
                f"/workloads/{i}/zone",
                f"应用 {w.get('name')} 保存核心医疗数据{zh}，写着 placement: onprem，却部署在云上区域 "
                f"{w.get('zone')}：把 zone 改为院内的核心区。",
                f"Workload {w.get('name')} holds core medical data{en} and says placement: onprem "
                f"but sits in cloud zone {w.get('zone')}: set zone to an on-prem core zone.",
            )


def _flow_reaches(flow: dict[str, Any], workload: dict[str, Any]) -> bool:
    """A zone flow reaches the workload's pods (its own port or its Service's)."""
    service = 443 if workload.get("tls", True) else 80
    ports = flow.get("ports")
    if not isinstance(ports, list):
        return False
    return workload.get("port", 8080) in ports or service in ports


def core_workloads_inside(spec: Spec, level: int) -> Iterator[Problem]:
    """Core workloads sit in core, storage or application zones, and no internet flow reaches
    their port."""
    zones = {str(z.get("name")): (i, z) for i, z in items(spec, "zones")}
    reached: dict[tuple[int, int], list[str]] = {}
    for i, w, reason in core_workloads(spec):
        if str(w.get("zone")) not in zones:
            continue
        z, zone = zones[str(w.get("zone"))]
        zh, en = _why(reason)
        if str(zone.get("kind")) not in CORE_ZONES:
            yield (
                f"/workloads/{i}/zone",
                f"应用 {w.get('name')} 保存核心医疗数据{zh}，却部署在 {zone.get('kind')} 类区域 "
                f"{zone.get('name')}：把 zone 改为 kind 为 core 或 storage 的区域，"
                "对外服务放在 DMZ 中另一个不保存病历的应用里。",
                f"Workload {w.get('name')} holds core medical data{en} but is placed in "
                f"{zone.get('kind')} zone {zone.get('name')}: move it to a zone of kind core or "
                "storage and leave public services to a separate DMZ workload without records.",
            )
        flows = zone.get("ingress")
        for j, flow in enumerate(flows if isinstance(flows, list) else []):
            if isinstance(flow, dict) and flow.get("from") == "internet" and _flow_reaches(flow, w):
                reached.setdefault((z, j), []).append(f"{w.get('name')}:{w.get('port', 8080)}")
    for (z, j), names in sorted(reached.items()):
        zone_name = zones_name(spec, z)
        shown = ", ".join(names)
        yield (
            f"/zones/{z}/ingress/{j}",
            f"区域 {zone_name} 的这条入站规则让互联网直达保存核心医疗数据（病历、影像属"
            f"{LAW_PIPL_ZH}规定的敏感个人信息）的应用 {shown}：删除这条 from internet 的规则，"
            "或把这些应用移到不接受互联网流量的核心区。",
            f"This ingress rule of zone {zone_name} lets the internet reach {shown}, holding core "
            f"medical data (records and images are sensitive personal information under the "
            f"{LAW_PIPL_EN}): remove the from-internet rule or move the workloads to a core zone "
            "that takes no internet traffic.",
        )


def zones_name(spec: Spec, index: int) -> str:
    return str(dict(items(spec, "zones"))[index].get("name"))


def record_keeping_days(spec: Spec) -> int:
    """Days a record or image must stay locked: the longer configured period, never below the
    law's (a year counted as 365 days)."""
    periods = section(spec, "record_keeping")
    years = max(max(_int(periods.get(k), v), v) for k, v in LEGAL_YEARS.items())
    return years * 365


def _int(value: Any, default: int) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def records_kept_long_enough(spec: Spec, level: int) -> Iterator[Problem]:
    """Record-keeping periods meet the law; every bucket holding records or images (by its
    label, its name or the record workloads writing to it, backup buckets included) has a
    COMPLIANCE lock at least that long; and the records of a record workload that writes to no
    bucket, kept only by the backups, are backed up and the backups kept that long."""
    periods = section(spec, "record_keeping")
    for key, legal in LEGAL_YEARS.items():
        value = periods.get(key, legal)
        if _int(value, legal) < legal:
            what_zh = "门（急）诊病历" if key == "outpatient_years" else "住院病历"
            what_en = "outpatient records" if key == "outpatient_years" else "inpatient records"
            yield (
                f"/record_keeping/{key}",
                f"{what_zh}保存 {value} 年少于{LAW_RECORDS_ZH}规定的 {legal} 年：把 "
                f"record_keeping.{key} 设为 {legal} 或以上（法定期限是下限）。",
                f"Keeping {what_en} {value} years is less than the {legal} years of the "
                f"{LAW_RECORDS_EN}: set record_keeping.{key} to {legal} or more (the law is the "
                "floor).",
            )
    days = record_keeping_days(spec)
    for i, b, reason in core_buckets(spec):
        yield from _bucket_locked(i, b, reason, days)
    yield from _backups_keep_records(spec, days)


def _bucket_locked(i: int, b: dict[str, Any], reason: str | None,
                   days: int) -> Iterator[Problem]:
    """A bucket holding records: locked in COMPLIANCE mode (GOVERNANCE can be lifted by a
    privileged user, so it does not keep anything) for at least ``days``."""
    lock = section(b, "object_lock")
    zh, en = _why(reason)
    mode = lock.get("mode", "COMPLIANCE")
    if mode == "none":
        yield (
            f"/object_storage/buckets/{i}/object_lock/mode",
            f"存储桶 {b.get('name')} 保存病历或医学影像{zh}却没有对象锁定，可在保存期限内被删除："
            f"把 object_lock.mode 设为 COMPLIANCE，retention_days 至少 {days}"
            f"（{LAW_RECORDS_ZH}）。",
            f"Bucket {b.get('name')} holds medical records or images{en} without an object "
            f"lock, so they can be deleted within the keeping period: set object_lock.mode "
            f"COMPLIANCE and retention_days at least {days} ({LAW_RECORDS_EN}).",
        )
        return
    if mode != "COMPLIANCE":
        yield (
            f"/object_storage/buckets/{i}/object_lock/mode",
            f"存储桶 {b.get('name')} 保存病历或医学影像{zh}，对象锁定为 {mode} 模式：持有特权的用户"
            "可以解除这种锁定并在保存期限内删除病历，病历须以 COMPLIANCE 模式锁定（任何人在期限内都"
            f"不能删除）：把 object_lock.mode 设为 COMPLIANCE，retention_days 至少 {days}"
            f"（{LAW_RECORDS_ZH}）。",
            f"Bucket {b.get('name')} holds medical records or images{en} under a {mode} lock, "
            "which a privileged user can lift to delete records within the keeping period; "
            "records need a COMPLIANCE lock, which nobody can lift: set object_lock.mode "
            f"COMPLIANCE with retention_days at least {days} ({LAW_RECORDS_EN}).",
        )
    kept = lock.get("retention_days", 10950)
    if _int(kept, days) < days:
        yield (
            f"/object_storage/buckets/{i}/object_lock/retention_days",
            f"存储桶 {b.get('name')} 保存病历或医学影像{zh}，对象锁定只有 {kept} 天，短于病历保存期限 "
            f"{days} 天：把 object_lock.retention_days 设为 {days} 或以上（{LAW_RECORDS_ZH}）。",
            f"Bucket {b.get('name')} holds medical records or images{en} but locks them only "
            f"{kept} days, less than the {days}-day record-keeping period: set "
            f"object_lock.retention_days to {days} or more ({LAW_RECORDS_EN}).",
        )


def _backups_keep_records(spec: Spec, days: int) -> Iterator[Problem]:
    """Record workloads that write to no bucket keep their records in their own database
    only; the backups are then the only copy that outlives a deletion, so they must be taken
    (backup.local.enabled) and kept (backup.retention_days) for the keeping period."""
    names = [str(w.get("name")) for _, w, _ in core_workloads(spec) if not w.get("bucket")]
    if not names:
        return
    shown = ", ".join(names)
    backup = section(spec, "backup")
    if section(backup, "local").get("enabled", True) is False:
        yield (
            "/backup/local/enabled",
            f"应用 {shown} 保存病历且不写入任何存储桶，病历只在其数据库与备份中，却关闭了本地备份："
            f"开启 backup.local.enabled，并把 backup.retention_days 设为 {days} 或以上，或让这些应用"
            f"把病历归档到以 COMPLIANCE 模式锁定 {days} 天以上的存储桶（workloads 的 bucket）"
            f"（{LAW_RECORDS_ZH}）。",
            f"Workloads {shown} hold medical records and write to no bucket, so the records live "
            "only in their database and its backups, yet local backups are off: enable "
            f"backup.local.enabled and keep backups at least {days} days, or have the workloads "
            f"archive records to a bucket (their bucket) under a COMPLIANCE lock of at least "
            f"{days} days ({LAW_RECORDS_EN}).",
        )
        return
    kept = backup.get("retention_days", 180)
    if _int(kept, 180) < days:
        yield (
            "/backup/retention_days",
            f"应用 {shown} 保存病历且不写入任何存储桶，病历只在其数据库与备份中，备份却只保留 "
            f"{kept} 天，短于病历保存期限 {days} 天：把 backup.retention_days 设为 {days} 或以上，"
            f"或让这些应用把病历归档到以 COMPLIANCE 模式锁定 {days} 天以上的存储桶（workloads 的 "
            f"bucket）（{LAW_RECORDS_ZH}）。",
            f"Workloads {shown} hold medical records and write to no bucket, so the records live "
            f"only in their database and its backups, which are kept only {kept} days, less than "
            f"the {days}-day record-keeping period: set backup.retention_days to {days} or more, "
            f"or have the workloads archive records to a bucket (their bucket) under a "
            f"COMPLIANCE lock of at least {days} days ({LAW_RECORDS_EN}).",
        )


register(core_workloads_inside, records_kept_long_enough)
