"""In-cluster baseline: namespaces, default-deny NetworkPolicies, quotas, log shipping."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from stacks.components import kube
from stacks.components.workload import size_of
from stacks.model import Environment, Workload

LOGGING_NAMESPACE = "mlps-logging"
LOOPBACK = "127.0.0.1"
"""The shipper's health port listens here only: on the node's network it would face the zone."""
DEFAULT_SHIPPER_IMAGE = "registry.hospital.local/mlps/rsyslog-relp:8.2302.0"
_ADM_GID = 4
_RSYSLOG_CONF = """module(load="imfile")
module(load="omrelp" tls.tlslib="openssl")
module(load="imptcp")
input(type="imptcp" address="127.0.0.1" port="5140" ruleset="health")
ruleset(name="health") { stop }
input(type="imfile" file="/var/log/kubernetes/audit/audit.log" tag="kube-apiserver-audit")
input(type="imfile" file="/var/log/containers/*.log" tag="container")
"""


@dataclass(frozen=True)
class ClusterBaselineArgs:
    """The environment, which placement this cluster serves, and how to reach it."""

    env: Environment
    placement: str
    provider: k8s.Provider
    shipper_image: str = DEFAULT_SHIPPER_IMAGE
    fronted: frozenset[str] = frozenset()
    """Zones whose internet traffic arrives through the cloud's front door (``FrontDoor``)."""


def cluster_workloads(env: Environment, placement: str) -> dict[str, list[Workload]]:
    """Workloads of this cluster grouped by zone (one namespace per zone)."""
    grouped: dict[str, list[Workload]] = {}
    for w in env.workloads:
        if w.placement == placement:
            grouped.setdefault(w.zone, []).append(w)
    return grouped


def _rsyslog_conf(env: Environment) -> str:
    actions = [
        f'action(type="omrelp" target="{host.address}" port="{kube.RELP_PORT}" tls="on" '
        'tls.authmode="name" tls.permittedpeer=["log-audit"] '
        'tls.cacert="/etc/rsyslog/tls/ca.crt" tls.mycert="/etc/rsyslog/tls/tls.crt" '
        'tls.myprivkey="/etc/rsyslog/tls/tls.key" '
        f'queue.type="LinkedList" queue.filename="relp-{host.name}" queue.size="1000000" '
        'queue.saveOnShutdown="on" action.resumeRetryCount="-1")'
        for host in env.hosts_with("log_audit_server")
    ]
    return _RSYSLOG_CONF + "\n".join(actions) + "\n"


class ClusterBaseline(pulumi.ComponentResource):
    """Everything a workload namespace needs before the first workload lands in it."""

    def __init__(
        self, name: str, args: ClusterBaselineArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("mlps:k8s:ClusterBaseline", name, None, opts)
        env = args.env
        self._child = pulumi.ResourceOptions(parent=self, provider=args.provider)
        self._name = name
        self.workloads = cluster_workloads(env, args.placement)
        self.namespaces: dict[str, k8s.core.v1.Namespace] = {}
        for zone_name, workloads in sorted(self.workloads.items()):
            zone = env.zone(zone_name)
            ns = self._namespace(zone_name, "workload", zone.kind, env, env.kubernetes.pod_security)
            self.namespaces[zone_name] = ns
            policies = kube.flow_policies(env, zone, self.workloads, zone_name in args.fronted)
            self._network_policies(zone_name, ns, policies)
            sizes = {w.name: size_of(w) for w in workloads}
            self._quota(zone_name, ns, kube.quota(workloads, sizes))
        self._log_shipping(env, args.shipper_image)
        self.register_outputs({"namespaces": sorted(self.namespaces)})

    def _namespace(
        self, ns_name: str, kind: str, zone_kind: str, env: Environment, level: str
    ) -> k8s.core.v1.Namespace:
        labels = {
            kube.LABEL_ENV: env.name,
            kube.LABEL_ZONE: ns_name,
            kube.LABEL_ZONE_KIND: zone_kind,
            kube.LABEL_KIND: kind,
            **kube.pod_security_labels(level, env.kubernetes.version),
        }
        return k8s.core.v1.Namespace(
            f"{self._name}-ns-{ns_name}",
            metadata={"name": ns_name, "labels": labels},
            opts=self._child,
        )

    def _network_policies(
        self, ns_name: str, ns: k8s.core.v1.Namespace, extra: dict[str, dict[str, Any]]
    ) -> None:
        specs = {
            "default-deny-ingress": kube.default_deny("Ingress"),
            "default-deny-egress": kube.default_deny("Egress"),
            "allow-dns-egress": kube.dns_egress(),
            **extra,
        }
        opts = pulumi.ResourceOptions.merge(self._child, pulumi.ResourceOptions(depends_on=[ns]))
        for policy_name, spec in specs.items():
            k8s.networking.v1.NetworkPolicy(
                f"{self._name}-{ns_name}-netpol-{policy_name}",
                metadata={"name": policy_name, "namespace": ns_name},
                spec=spec,
                opts=opts,
            )

    def _quota(self, ns_name: str, ns: k8s.core.v1.Namespace, quota: dict[str, Any]) -> None:
        opts = pulumi.ResourceOptions.merge(self._child, pulumi.ResourceOptions(depends_on=[ns]))
        k8s.core.v1.ResourceQuota(
            f"{self._name}-{ns_name}-quota",
            metadata={"name": "workloads", "namespace": ns_name},
            spec=quota,
            opts=opts,
        )
        k8s.core.v1.LimitRange(
            f"{self._name}-{ns_name}-limits",
            metadata={"name": "containers", "namespace": ns_name},
            spec=kube.limit_range(),
            opts=opts,
        )

    def _log_shipping(self, env: Environment, image: str) -> None:
        """A DaemonSet that forwards the API-server audit log and container logs over RELP/TLS.

        Reading node log files needs a hostPath volume, which only the ``privileged`` Pod
        Security level admits; the namespace enforces that and audits/warns at ``restricted``,
        while the pod itself stays non-root, read-only and without privilege escalation. It shares
        the node's network: its records leave from the node's address, which the zone boundaries,
        the audit servers' firewalls and the dedicated lines admit (on ACK, Terway would give the
        pod an address of the pod vSwitches, which none of them admits). A pod on the node's
        network is outside NetworkPolicy, so the node's zone boundary limits where it sends.
        """
        ns = self._namespace(LOGGING_NAMESPACE, "system", "management", env, "privileged")
        servers = [h.address for h in env.hosts_with("log_audit_server")]
        self._network_policies(LOGGING_NAMESPACE, ns, {"allow-to-log-audit": kube.log_egress(servers)})
        size = {
            "requests": {"cpu": "100m", "memory": "128Mi"},
            "limits": {"cpu": "500m", "memory": "512Mi"},
        }
        self._quota(
            LOGGING_NAMESPACE,
            ns,
            {
                "hard": {
                    "pods": "200",
                    "limits.cpu": "100",
                    "limits.memory": "100Gi",
                    "requests.cpu": "20",
                    "requests.memory": "25Gi",
                    "services.loadbalancers": "0",
                    "services.nodeports": "0",
                }
            },
        )
        opts = pulumi.ResourceOptions.merge(self._child, pulumi.ResourceOptions(depends_on=[ns]))
        labels = {kube.LABEL_APP: "log-shipper", kube.LABEL_ENV: env.name}
        meta = {"name": "log-shipper", "namespace": LOGGING_NAMESPACE, "labels": labels}
        k8s.core.v1.ConfigMap(
            f"{self._name}-log-shipper-config",
            metadata=meta,
            data={"rsyslog.conf": _rsyslog_conf(env)},
            opts=opts,
        )
        container = {
            "name": "rsyslog",
            "image": image,
            "imagePullPolicy": "Always",
            "args": ["-n", "-f", "/etc/rsyslog/rsyslog.conf", "-i", "/run/rsyslog/rsyslogd.pid"],
            "resources": size,
            "securityContext": kube.container_security_context(),
            "volumeMounts": [
                {
                    "name": "config",
                    "mountPath": "/etc/rsyslog/rsyslog.conf",
                    "subPath": "rsyslog.conf",
                },
                {"name": "tls", "mountPath": "/etc/rsyslog/tls", "readOnly": True},
                {"name": "queue", "mountPath": "/var/spool/rsyslog"},
                {"name": "run", "mountPath": "/run/rsyslog"},
                {"name": "audit-log", "mountPath": "/var/log/kubernetes/audit", "readOnly": True},
                {"name": "containers", "mountPath": "/var/log/containers", "readOnly": True},
                {"name": "pods", "mountPath": "/var/log/pods", "readOnly": True},
            ],
            **kube.tcp_probes(5140, LOOPBACK),
        }
        annotations = {
            **kube.image_annotations(image, "the cluster baseline (mlps:logShipperImage)"),
            "checkov.io/skip2": (
                "CKV_K8S_19=the log shipper sends from the node's address, the one the zone "
                "boundaries and the audit servers admit; its namespace enforces privileged"
            ),
        }
        k8s.apps.v1.DaemonSet(
            f"{self._name}-log-shipper",
            metadata={**meta, "annotations": annotations},
            spec={
                "selector": {"matchLabels": {kube.LABEL_APP: "log-shipper"}},
                "template": {
                    "metadata": {"labels": labels},
                    "spec": {
                        "automountServiceAccountToken": False,
                        "hostNetwork": True,
                        "dnsPolicy": "ClusterFirstWithHostNet",
                        "securityContext": kube.pod_security_context([_ADM_GID]),
                        "tolerations": [{"operator": "Exists", "effect": "NoSchedule"}],
                        "containers": [container],
                        "volumes": [
                            {"name": "config", "configMap": {"name": "log-shipper"}},
                            {"name": "tls", "secret": {"secretName": "log-shipper-tls"}},
                            {"name": "queue", "emptyDir": {"sizeLimit": "2Gi"}},
                            {"name": "run", "emptyDir": {"medium": "Memory", "sizeLimit": "1Mi"}},
                            {
                                "name": "audit-log",
                                "hostPath": {
                                    "path": "/var/log/kubernetes/audit",
                                    "type": "DirectoryOrCreate",
                                },
                            },
                            {
                                "name": "containers",
                                "hostPath": {
                                    "path": "/var/log/containers",
                                    "type": "DirectoryOrCreate",
                                },
                            },
                            {
                                "name": "pods",
                                "hostPath": {"path": "/var/log/pods", "type": "DirectoryOrCreate"},
                            },
                        ],
                    },
                },
            },
            opts=opts,
        )
