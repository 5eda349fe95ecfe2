"""Which spec field sets which role variable, so that a host enforces what its spec says.

Every leaf of the spec sections the roles enforce (``baseline``, ``bastion``, ``log_audit``,
``kubernetes``) is either carried to a role variable here or listed in :data:`NOT_CARRIED` with
the reason no role takes it; ``tests/unit/test_spec_variables.py`` walks the schema and holds
both lists to it, and checks each variable against its role's ``meta/argument_specs.yml``. A
field the spec leaves out is not carried, the role's own default (its level profile) applying,
unless its entry names a default (:func:`with_defaults`, applied by the inventory).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

Path = tuple[str, ...]


@dataclass(frozen=True)
class Carried:
    """One spec field (path of keys) and the role variable that receives its value: set on the
    inventory group ``group`` (default the role's own), only for values in ``accepted`` when
    given (a value the role cannot take leaves the role's stricter default, and the catalog
    judges the field); ``default`` stands in for a field the spec leaves out, where the schema's
    default and the role's level profile differ."""

    path: Path
    role: str
    variable: str
    convert: Callable[[Any], Any] | None = None
    group: str | None = None
    accepted: tuple[Any, ...] | None = None
    default: Any = None


def _totp(mfa: Any) -> bool:
    return bool(mfa == "totp")


CARRIED: tuple[Carried, ...] = (
    # CES-AUTH-01 / CES-AUTH-03 / CES-AUTH-04 / CES-AUTH-05
    Carried(("baseline", "password", "min_length"), "baseline", "baseline_password_min_length"),
    Carried(("baseline", "password", "min_classes"), "baseline", "baseline_password_min_classes"),
    Carried(("baseline", "password", "max_age_days"), "baseline", "baseline_password_max_age_days"),
    Carried(("baseline", "password", "history"), "baseline", "baseline_password_history"),
    Carried(("baseline", "lockout", "attempts"), "baseline", "baseline_lockout_attempts"),
    Carried(("baseline", "lockout", "unlock_seconds"), "baseline", "baseline_lockout_unlock_seconds"),
    Carried(("baseline", "idle_timeout_seconds"), "baseline", "baseline_idle_timeout_seconds"),
    Carried(("baseline", "ssh", "permit_root_login"), "baseline", "baseline_ssh_permit_root_login",
            accepted=("no", "prohibit-password")),
    # CES-ACL-02: the controller's addresses are declared, never detected.
    Carried(("baseline", "ssh", "controller_sources"), "baseline", "baseline_firewall_controller_sources"),
    # CES-IPS-01 / CES-IPS-02 / CES-AUDIT-02 / CES-RES-01 / CES-MAL-01
    Carried(("baseline", "host_firewall"), "baseline", "baseline_firewall_enabled"),
    Carried(("baseline", "remove_unused"), "baseline", "baseline_remove_unused", default=True),
    Carried(("baseline", "time_sync", "enabled"), "baseline", "baseline_time_sync_enabled", default=True),
    Carried(("baseline", "time_sync", "servers"), "baseline", "baseline_time_servers", default=[]),
    Carried(("baseline", "residual_information", "tmp_on_tmpfs"), "baseline", "baseline_tmp_on_tmpfs",
            default=True),
    Carried(("baseline", "malware_protection"), "baseline", "baseline_malware_protection", default=True),
    Carried(("baseline", "intrusion_detection"), "baseline", "baseline_intrusion_detection", default=True),
    # CES-AUTH-06 / CES-IPS-03 / ABS-AUDIT-01 / ABS-AUDIT-04 the bastion
    Carried(("bastion", "mfa"), "bastion", "bastion_totp_enabled", _totp),
    Carried(("bastion", "session_recording"), "bastion", "bastion_session_recording"),
    Carried(("bastion", "command_audit"), "bastion", "bastion_command_audit"),
    Carried(("bastion", "idle_timeout_seconds"), "bastion", "bastion_idle_timeout_seconds"),
    Carried(("bastion", "allowed_sources"), "bastion", "bastion_allowed_sources"),
    Carried(("bastion", "recording_retention_days"), "bastion", "bastion_recording_retention_days"),
    # SMC-CEN-04 / SMC-CEN-05 / CES-AUDIT-04 central log audit
    Carried(("log_audit", "retention_days"), "log_audit_server", "log_audit_server_retention_days"),
    Carried(("log_audit", "disk_alert_percent"), "log_audit_server", "log_audit_server_disk_alert_percent"),
    Carried(("log_audit", "include", "journald"), "log_forwarder", "log_forwarder_journald"),
    Carried(("log_audit", "include", "auditd"), "log_forwarder", "log_forwarder_auditd"),
    # The bastion's recordings exist on the bastion hosts alone: set there, not on every forwarder.
    Carried(("log_audit", "include", "bastion_sessions"), "log_forwarder", "log_forwarder_bastion_sessions",
            group="bastion"),
    Carried(("log_audit", "tamper_evidence"), "log_audit_server", "log_audit_server_tamper_evidence",
            accepted=("sha256", "sm3")),
    # K8S-PSS-01 the cluster the control-plane role builds
    Carried(("kubernetes", "version"), "k8s_control_plane", "k8s_control_plane_version"),
    Carried(("kubernetes", "pod_security"), "k8s_control_plane", "k8s_control_plane_pod_security_level"),
)

NOT_CARRIED: Mapping[Path, str] = {
    ("baseline", "ssh", "password_authentication"):
        "the baseline role always turns SSH password login off; the catalog judges the field (CES-AUTH-05)",
    ("baseline", "ssh", "crypto_policy"):
        "the baseline role always writes the strong algorithm lists; the catalog judges legacy (CES-AUTH-05)",
    ("baseline", "ssh", "host_certificate_authorities"):
        "the controller's known_hosts (stacks/known_hosts.py), not a host setting",
    ("baseline", "residual_information", "clear_swap"):
        "the baseline role always keeps swap off or encrypted (baseline_swap_policy) and verifies it",
    ("bastion", "enabled"):
        "whether hosts take the bastion role at all (hosts[].roles); the catalog judges it",
    ("bastion", "zone"): "placement of the bastion hosts, judged by the spec check (SMC-SYS-01)",
    ("log_audit", "enabled"): "whether hosts take the log roles at all; the spec check judges it",
    ("log_audit", "transport"):
        "the log roles always use RELP over TLS; the catalog judges a weaker transport (CNS-TRANS-03)",
    ("log_audit", "queue_size"):
        "the forwarder's disk queue is bounded in bytes (log_forwarder_queue_max_disk_space, 4 GiB by "
        "default, some 4 million records of 1 KiB), not in records; the catalog judges the field",
    ("log_audit", "mutual_tls"):
        "the log roles always authenticate both ends by certificate; the spec check judges the field",
    ("log_audit", "include", "kubernetes_audit"):
        "the API-server audit log is shipped by the cluster's log shipper (stacks/), not by a host role; "
        "the catalog judges the field (K8S-AUDIT-01)",
    ("kubernetes", "enabled"): "whether hosts take the Kubernetes roles at all; the catalog judges it",
    ("kubernetes", "distribution"):
        "kubeadm is what the Kubernetes roles build on hosts; ack is the cloud's managed cluster (stacks/)",
    ("kubernetes", "control_plane_nodes"):
        "the number of hosts taking k8s_control_plane, judged by the catalog (K8S-HA-01)",
    ("kubernetes", "network_policy"):
        "NetworkPolicies are objects in the cluster (stacks/), judged by the policy pack (K8S-NETPOL-01)",
    ("kubernetes", "audit_log"):
        "the control-plane role always writes the audit log; the catalog judges the field (K8S-AUDIT-01)",
    ("kubernetes", "secrets_encryption"):
        "the control-plane role always encrypts Secrets at rest; the catalog judges the field (CES-CONF-03)",
}

def _get(data: Mapping[str, Any], path: Path) -> tuple[bool, Any]:
    node: Any = data
    for key in path:
        if not isinstance(node, Mapping) or key not in node:
            return False, None
        node = node[key]
    return True, node


def with_defaults(spec: Mapping[str, Any]) -> dict[str, Any]:
    """``spec`` with the entries' defaults written where it leaves their fields out."""
    out = copy.deepcopy(dict(spec))
    for item in CARRIED:
        if item.default is not None and not _get(out, item.path)[0]:
            node = out
            for key in item.path[:-1]:
                node = node.setdefault(key, {})
            node[item.path[-1]] = copy.deepcopy(item.default)
    return out


def carried_vars(spec: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Inventory group -> the variables the spec's fields set (only fields the spec writes)."""
    out: dict[str, dict[str, Any]] = {}
    for item in CARRIED:
        found, value = _get(spec, item.path)
        if not found or (item.accepted is not None and value not in item.accepted):
            continue
        value = item.convert(value) if item.convert else value
        group = item.group or item.role
        out.setdefault(group, {})[item.variable] = list(value) if isinstance(value, list) else value
    return out
