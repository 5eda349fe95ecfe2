"""Pure builders for Kubernetes object bodies (dicts in the API's own field names)."""

from __future__ import annotations

from typing import Any

from mlps.roles import service
from stacks.model import Environment, Workload, Zone

UID = 10001
LABEL_ENV = "mlps.dev/environment"
LABEL_ZONE = "mlps.dev/zone"
LABEL_ZONE_KIND = "mlps.dev/zone-kind"
LABEL_KIND = "mlps.dev/namespace-kind"
LABEL_DATA = "mlps.dev/data-class"
LABEL_APP = "app.kubernetes.io/name"
DNS_PORT = 53
RELP_PORT = service("log_audit_server", "relp-tls").port


def service_port(workload: Workload) -> int:
    """Port clients use: 443 for TLS workloads (the spec's flows name it), else 80."""
    return 443 if workload.tls else 80


def pod_security_labels(level: str, version: str) -> dict[str, str]:
    return {
        "pod-security.kubernetes.io/enforce": level,
        "pod-security.kubernetes.io/enforce-version": f"v{version}",
        "pod-security.kubernetes.io/audit": "restricted",
        "pod-security.kubernetes.io/warn": "restricted",
    }


def pod_security_context(supplemental: list[int] | None = None) -> dict[str, Any]:
    ctx: dict[str, Any] = {
        "runAsNonRoot": True,
        "runAsUser": UID,
        "runAsGroup": UID,
        "fsGroup": UID,
        "seccompProfile": {"type": "RuntimeDefault"},
    }
    if supplemental:
        ctx["supplementalGroups"] = supplemental
    return ctx


def container_security_context() -> dict[str, Any]:
    return {
        "allowPrivilegeEscalation": False,
        "privileged": False,
        "readOnlyRootFilesystem": True,
        "runAsNonRoot": True,
        "runAsUser": UID,
        "runAsGroup": UID,
        "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"},
    }


def tcp_probes(port: int, host: str | None = None) -> dict[str, Any]:
    """TCP liveness and readiness probes on ``port`` (of ``host``: the pod's address without it)."""
    socket: dict[str, Any] = {"port": port, **({"host": host} if host else {})}
    return {
        "livenessProbe": {
            "tcpSocket": socket,
            "initialDelaySeconds": 15,
            "periodSeconds": 20,
        },
        "readinessProbe": {
            "tcpSocket": dict(socket),
            "initialDelaySeconds": 5,
            "periodSeconds": 10,
        },
    }


def image_annotations(image: str, where: str) -> dict[str, str]:
    """Checkov asks for an image digest; a tag pinned in the spec is the spec's choice."""
    if "@sha256:" in image:
        return {}
    return {
        "checkov.io/skip1": (
            f"CKV_K8S_43=image pinned to a fixed version tag in {where}; "
            "the hospital registry keeps release tags immutable"
        )
    }


def _peers(env: Environment, zone_name: str, namespaced: set[str]) -> list[dict[str, Any]]:
    if zone_name == "internet":
        return [{"ipBlock": {"cidr": "0.0.0.0/0"}}]
    peers: list[dict[str, Any]] = [{"ipBlock": {"cidr": env.zone(zone_name).cidr}}]
    if zone_name in namespaced:
        peers.append({"namespaceSelector": {"matchLabels": {LABEL_ZONE: zone_name}}})
    return peers


def pod_ports(workloads: list[Workload], ports: tuple[int, ...]) -> set[int]:
    """Container ports reached by a flow to ``ports`` (a Service port or the pod port)."""
    return {w.port for w in workloads if service_port(w) in ports or w.port in ports}


def flow_policies(
    env: Environment, zone: Zone, workloads: dict[str, list[Workload]], fronted: bool = False
) -> dict[str, dict[str, Any]]:
    """NetworkPolicy specs that admit exactly the spec's flows into and out of ``zone``.

    ``workloads`` maps every zone with a namespace in this cluster to its workloads. In a
    ``fronted`` zone the internet arrives through the cloud's front door, a proxy whose addresses
    lie in the zone's own range: the pods admit that range, not the internet.
    """
    namespaced = set(workloads)
    here = workloads[zone.name]
    specs: dict[str, dict[str, Any]] = {}
    for flow in zone.ingress:
        ports = sorted(pod_ports(here, flow.ports))
        if not ports:
            continue
        peers = (
            [{"ipBlock": {"cidr": zone.cidr}}]
            if fronted and flow.source == "internet"
            else _peers(env, flow.source, namespaced)
        )
        specs[f"allow-from-{flow.source}"] = {
            "podSelector": {},
            "policyTypes": ["Ingress"],
            "ingress": [
                {
                    "from": peers,
                    "ports": [{"protocol": flow.protocol.upper(), "port": p} for p in ports],
                }
            ],
        }
    for target in env.zones:
        for flow in target.ingress:
            if flow.source != zone.name:
                continue
            reach = set(flow.ports) | pod_ports(workloads.get(target.name, []), flow.ports)
            specs[f"allow-to-{target.name}"] = {
                "podSelector": {},
                "policyTypes": ["Egress"],
                "egress": [
                    {
                        "to": _peers(env, target.name, namespaced),
                        "ports": [{"protocol": flow.protocol.upper(), "port": p} for p in sorted(reach)],
                    }
                ],
            }
    return specs


def default_deny(direction: str) -> dict[str, Any]:
    return {"podSelector": {}, "policyTypes": [direction]}


def dns_egress() -> dict[str, Any]:
    return {
        "podSelector": {},
        "policyTypes": ["Egress"],
        "egress": [
            {
                "to": [
                    {
                        "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "kube-system"}},
                        "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
                    }
                ],
                "ports": [
                    {"protocol": "UDP", "port": DNS_PORT},
                    {"protocol": "TCP", "port": DNS_PORT},
                ],
            }
        ],
    }


def log_egress(servers: list[str]) -> dict[str, Any]:
    return {
        "podSelector": {},
        "policyTypes": ["Egress"],
        "egress": [
            {
                "to": [{"ipBlock": {"cidr": f"{a}/32"}} for a in servers],
                "ports": [{"protocol": "TCP", "port": RELP_PORT}],
            }
        ],
    }


def quota(workloads: list[Workload], sizes: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """ResourceQuota sized for the namespace's workloads with room for a rolling update."""
    cpu_m = mem_mi = req_cpu_m = req_mem_mi = pods = 0
    for w in workloads:
        size = sizes[w.name]
        n = w.replicas + 1
        pods += n
        cpu_m += n * _milli(size["limits"]["cpu"])
        mem_mi += n * _mebi(size["limits"]["memory"])
        req_cpu_m += n * _milli(size["requests"]["cpu"])
        req_mem_mi += n * _mebi(size["requests"]["memory"])
    return {
        "hard": {
            "pods": str(pods),
            "requests.cpu": f"{req_cpu_m}m",
            "requests.memory": f"{req_mem_mi}Mi",
            "limits.cpu": f"{cpu_m}m",
            "limits.memory": f"{mem_mi}Mi",
            "services.loadbalancers": "0",
            "services.nodeports": "0",
        }
    }


def limit_range() -> dict[str, Any]:
    return {
        "limits": [
            {
                "type": "Container",
                "default": {"cpu": "500m", "memory": "512Mi"},
                "defaultRequest": {"cpu": "100m", "memory": "128Mi"},
                "max": {"cpu": "4", "memory": "8Gi"},
            }
        ]
    }


def _milli(cpu: str) -> int:
    return int(cpu[:-1]) if cpu.endswith("m") else int(float(cpu) * 1000)


def _mebi(memory: str) -> int:
    if memory.endswith("Gi"):
        return int(memory[:-2]) * 1024
    return int(memory.removesuffix("Mi"))
