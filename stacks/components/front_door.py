"""The cluster side of a cloud front door: the cloud's ingress controller binds the pods of the
workloads a flow from the internet reaches to the load balancer the plan built.

An ``AlbConfig`` tells ACK's ALB ingress controller to use that balancer (not to make one) and to
keep what the plan set on it (``forceOverride: false``: edition, addresses, security group, logs);
an ``IngressClass`` names the config; one ``Ingress`` per workload routes the listeners of the
ports that reach it (HTTPS, HTTP on 80) to the workload's Service, TLS again to the pods of a
TLS workload, with the workload's own certificate (``<name>-tls``); HTTP on 80 redirects to
HTTPS for a TLS workload. One workload takes every path; several take ``/<name>``, forwarded
as it is (the workloads serve under it).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from stacks.components import kube
from stacks.model import Workload
from stacks.providers.base import FrontDoor

ALB_CONTROLLER = "ingress.k8s.alibabacloud/alb"
ALB_GROUP = "alibabacloud.com"


HTTP_PORT = 80


def protocol(port: int) -> str:
    """The listener protocol of a front door's port: HTTP on 80, HTTPS on every other."""
    return "HTTP" if port == HTTP_PORT else "HTTPS"


def reached(workload: Workload, ports: tuple[int, ...]) -> list[int]:
    """The ports of ``ports`` that reach ``workload``: its Service port or its pod port."""
    return [p for p in ports if p in (workload.port, kube.service_port(workload))]


def redirects(workload: Workload, ports: tuple[int, ...]) -> bool:
    """HTTP on 80 redirects to HTTPS for a TLS workload the door reaches over HTTPS."""
    served = reached(workload, ports)
    return workload.tls and HTTP_PORT in ports and HTTP_PORT not in served and bool(served)


def alb_config_spec(balancer_id: str, ports: tuple[int, ...]) -> dict[str, Any]:
    """The AlbConfig reusing balancer ``balancer_id``, with a listener on each of ``ports``."""
    return {
        "config": {"id": balancer_id, "forceOverride": False},
        "listeners": [{"port": p, "protocol": protocol(p)} for p in ports],
    }


def ingress_spec(workload: Workload, ingress_class: str, path: str, tls: bool) -> dict[str, Any]:
    """The Ingress routing ``path`` of the front door to ``workload``'s Service, with the
    workload's certificate when a listener is HTTPS."""
    spec: dict[str, Any] = {
        "ingressClassName": ingress_class,
        "rules": [
            {
                "http": {
                    "paths": [
                        {
                            "path": path,
                            "pathType": "Prefix",
                            "backend": {
                                "service": {
                                    "name": workload.name,
                                    "port": {"number": kube.service_port(workload)},
                                }
                            },
                        }
                    ]
                }
            }
        ],
    }
    if tls:
        spec["tls"] = [{"secretName": f"{workload.name}-tls"}]
    return spec


def ingress_annotations(workload: Workload, ports: tuple[int, ...]) -> dict[str, str]:
    """The listeners the Ingress uses, the redirect of HTTP to HTTPS, TLS to a TLS workload's
    pods."""
    served = reached(workload, ports)
    listen = [{protocol(p): p} for p in served]
    notes = {}
    if redirects(workload, ports):
        listen.append({"HTTP": HTTP_PORT})
        notes["alb.ingress.kubernetes.io/ssl-redirect"] = "true"
    notes["alb.ingress.kubernetes.io/listen-ports"] = json.dumps(listen)
    if workload.tls:
        notes["alb.ingress.kubernetes.io/backend-protocol"] = "https"
    return notes


@dataclass(frozen=True)
class IngressFrontDoorArgs:
    door: FrontDoor
    workloads: list[Workload]
    """The workloads of the door's zone."""
    environment: str
    provider: k8s.Provider


class IngressFrontDoor(pulumi.ComponentResource):
    """A front door's AlbConfig, IngressClass and Ingresses (ABS-BOUND-01)."""

    def __init__(
        self, name: str, args: IngressFrontDoorArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("mlps:k8s:IngressFrontDoor", name, None, opts)
        door = args.door
        child = pulumi.ResourceOptions(parent=self, provider=args.provider)
        labels = {kube.LABEL_ENV: args.environment, kube.LABEL_ZONE: door.zone}
        config_name = f"{door.zone}-front-door"
        config = k8s.apiextensions.CustomResource(
            f"{name}-albconfig",
            api_version=f"{ALB_GROUP}/v1",
            kind="AlbConfig",
            metadata={"name": config_name, "labels": labels},
            spec=door.balancer_id.apply(lambda i: alb_config_spec(i, door.ports)),
            opts=child,
        )
        k8s.networking.v1.IngressClass(
            f"{name}-class",
            metadata={"name": config_name, "labels": labels},
            spec={
                "controller": ALB_CONTROLLER,
                "parameters": {"apiGroup": ALB_GROUP, "kind": "AlbConfig", "name": config_name},
            },
            opts=pulumi.ResourceOptions(parent=self, provider=args.provider, depends_on=[config]),
        )
        targets = [w for w in args.workloads if reached(w, door.ports)]
        for w in targets:
            https = any(protocol(p) == "HTTPS" for p in reached(w, door.ports))
            k8s.networking.v1.Ingress(
                f"{name}-{w.name}",
                metadata={
                    "name": w.name,
                    "namespace": door.zone,
                    "labels": labels,
                    "annotations": ingress_annotations(w, door.ports),
                },
                spec=ingress_spec(w, config_name, "/" if len(targets) == 1 else f"/{w.name}", https),
                opts=child,
            )
        self.register_outputs({"balancer_id": door.balancer_id, "workloads": [w.name for w in targets]})
