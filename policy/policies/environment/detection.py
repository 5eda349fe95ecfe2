"""Detection policies: the cloud network's traffic recorded and kept, the log stores encrypted and
indexed, the cloud's management events alarmed.

A cloud lacking flow logs or event alerts (a :class:`~policy.facts.model.Gap`) is judged by
``stand_ins_present`` instead: the ``log_audit_server`` role stands in. Zones, trails and alerts
are judged once per provider, however many provider configurations (regions) the plan uses. The
action policy an alert notifies through is the hospital's own: the plan only names it.
"""

from __future__ import annotations

from collections.abc import Iterator

from mlps.retention import LOG_MIN_DAYS
from policy.facts.model import EVENT_CONTROLS, MANAGEMENT_EVENTS, AlertRule, Cloud, Facts, FlowLog
from policy.policies.environment.audit import _trails, _where
from policy.policies.environment.base import EnvironmentPolicy, Found, unmet
from stacks.capabilities import Capability


def _recording(log: FlowLog) -> bool:
    return log.active and log.all_traffic


def _flow_logs(facts: Facts, level: int) -> Iterator[Found]:
    for cloud in facts.accounts():
        if facts.gap(cloud.provider, Capability.FLOW_LOGS) is not None:
            continue
        logs = [f for f in facts.flow_logs if f.provider == cloud.provider and _recording(f)]
        covered = {z for f in logs for z in f.zones}
        for zone in facts.zones:
            if zone.provider == cloud.provider and zone.name not in covered:
                yield (
                    zone.subject,
                    ("ABS-AUDIT-01", f"no active flow log records all traffic of zone {zone.name}"),
                )


def _flow_log_retention(facts: Facts, level: int) -> Iterator[Found]:
    for log in facts.flow_logs:
        sink = next((s for s in facts.log_sinks if s.provider == log.provider and s.name == log.sink), None)
        kept = (sink.retention_days or 0) if sink is not None else 0
        if kept >= LOG_MIN_DAYS:
            continue
        held = "a store the plan does not build" if sink is None else f"{log.sink}, kept {kept} days"
        yield (
            log.subject,
            (
                "SMC-CEN-04",
                f"flow log {log.name} delivers to {held}, not one kept {LOG_MIN_DAYS} days or more",
            ),
        )


def _log_stores(facts: Facts, level: int) -> Iterator[Found]:
    for sink in facts.log_sinks:
        keys = {k.id for k in facts.keys if k.provider == sink.provider}
        if not sink.encrypted or sink.key is None:
            yield (
                sink.subject,
                ("CLD-KMS-01", f"log store {sink.name} is not encrypted with the hospital's KMS key"),
            )
        elif sink.key not in keys:
            yield (
                sink.subject,
                (
                    "CLD-KMS-01",
                    f"log store {sink.name} is encrypted with key {sink.key}, not one the plan builds",
                ),
            )
        if not sink.indexed:
            yield (
                sink.subject,
                (
                    "SMC-CEN-05",
                    f"log store {sink.name} has no index: its records cannot be searched or analysed",
                ),
            )


def _defects(alert: AlertRule) -> list[str]:
    """Why an alert never tells anyone: no action policy, no severity condition, muted."""
    return [
        *([] if alert.notifies else ["routes to no action policy (the hospital's on-call policy)"]),
        *([] if alert.conditioned else ["has no severity condition, so it never fires"]),
        *(["is muted (muteUntil): its notifications are silenced"] if alert.muted else []),
    ]


def _alerts(facts: Facts, level: int) -> Iterator[Found]:
    for cloud in facts.accounts():
        if any(facts.gap(cloud.provider, c) for c in (Capability.EVENT_ALERTS, Capability.AUDIT_TRAIL)):
            continue
        alerts = [a for a in facts.alert_rules if a.provider == cloud.provider]
        for a in alerts:
            for defect in _defects(a):
                yield a.subject, ("SMC-CEN-07", f"alert {a.name} {defect}")
        trails = _trails(facts, cloud)
        if not trails:
            for control, events in _by_control(MANAGEMENT_EVENTS):
                yield cloud.subject, (control, _missing(cloud, "no enabled audit trail", events))
        for t in trails:
            stores = {d.name for d in t.destinations if d.kind == "log_store"}
            raised = {
                e for a in alerts if not _defects(a) and stores & set(a.sources) for e in a.events
            }
            for control, events in _by_control(tuple(e for e in MANAGEMENT_EVENTS if e not in raised)):
                yield t.subject, (control, _missing(cloud, f"audit trail {t.name}", events))


def _by_control(events: tuple[str, ...]) -> list[tuple[str, tuple[str, ...]]]:
    """``events`` grouped by the control a missing alarm on them breaks, SMC-CEN-07 first."""
    controls = dict.fromkeys(["SMC-CEN-07", *(EVENT_CONTROLS.get(e, "SMC-CEN-07") for e in events)])
    grouped = [(c, tuple(e for e in events if EVENT_CONTROLS.get(e, "SMC-CEN-07") == c)) for c in controls]
    return [(c, group) for c, group in grouped if group]


def _missing(cloud: Cloud, source: str, events: tuple[str, ...]) -> str:
    return (
        f"no alert notifies anyone of {', '.join(events)} on {_where(cloud)} "
        f"(read from {source})"
    )


NETWORK_FLOW_LOGS = EnvironmentPolicy(
    name="network_flow_logs",
    description="Every cloud zone's traffic, accepted and dropped, is recorded by an active flow log.",
    controls=("ABS-AUDIT-01",),
    levels=(2, 3, 4),
    check=_flow_logs,
)

FLOW_LOG_RETENTION = EnvironmentPolicy(
    name="flow_log_retention",
    description=f"Flow logs deliver to a log store kept at least {LOG_MIN_DAYS} days.",
    controls=("SMC-CEN-04",),
    levels=(3, 4),
    check=_flow_log_retention,
)

LOG_STORES_ENCRYPTED_INDEXED = EnvironmentPolicy(
    name="log_stores_encrypted_indexed",
    description="Every cloud log store is encrypted with the hospital's KMS key and indexed for analysis.",
    controls=("CLD-KMS-01", "SMC-CEN-05"),
    levels=(3, 4),
    check=_log_stores,
)

def _host_security(facts: Facts, level: int) -> Iterator[Found]:
    for cloud in facts.accounts():
        if facts.gap(cloud.provider, Capability.THREAT_DETECTION):
            continue  # judged by stand_ins_present: the baseline's scanner on the cloud hosts
        if not any(i.provider == cloud.provider for i in facts.instances):
            continue
        services = [s for s in facts.host_security if s.provider == cloud.provider]
        if not services:
            yield cloud.subject, (
                "CLD-VMIDS-03",
                f"no host security service watches the instances on {_where(cloud)}: malware and "
                "intrusions on them go undetected",
            )
        for s in services:
            missing = unmet(
                (s.protects_new, "does not bind new instances"),
                (s.detects_malware, "binds them at an edition that detects no malware"),
                (s.host_protection, "has host protection off"),
            )
            if missing:
                yield s.subject, ("CLD-VMIDS-03", f"the host security service {'; '.join(missing)}")


HOST_THREAT_DETECTION = EnvironmentPolicy(
    name="host_threat_detection",
    description=(
        "A cloud with a host security service runs it over every instance, new ones included, at "
        "an edition that detects malware."
    ),
    controls=("CLD-VMIDS-03",),
    levels=(3, 4),
    check=_host_security,
)

MANAGEMENT_ALERTS = EnvironmentPolicy(
    name="management_alerts",
    description=(
        "Alerts on the audit trail's log store, whose queries select every required management "
        "event (main account sign-in, failed sign-ins, RAM changes, trail changes, security group "
        "changes, key disabled or deleted, flow log stopped or deleted, log store or project "
        "deleted, instance created or started), fire on a severity condition, are not muted and "
        "notify through the hospital's action policy."
    ),
    controls=("SMC-CEN-07", "CLD-VMIDS-02"),
    levels=(3, 4),
    check=_alerts,
)
