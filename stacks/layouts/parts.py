"""Building blocks the three layouts share."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from stacks.capabilities import uncovered
from stacks.components.ansible import AnsiblePlay, AnsiblePlayArgs
from stacks.components.bastion import Bastion, BastionArgs
from stacks.components.cluster_baseline import (
    DEFAULT_SHIPPER_IMAGE,
    ClusterBaseline,
    ClusterBaselineArgs,
)
from stacks.components.front_door import IngressFrontDoor, IngressFrontDoorArgs
from stacks.components.hosts import CloudHosts, CloudHostsArgs
from stacks.components.log_audit import LogAudit, LogAuditArgs
from stacks.components.network_zones import NetworkZones, NetworkZonesArgs
from stacks.components.object_storage import ObjectStorage, ObjectStorageArgs
from stacks.components.workload import S3Target, WorkloadArgs, WorkloadDeployment
from stacks.inventory import render_inventory
from stacks.model import Environment
from stacks.naming import res
from stacks.providers import CloudProvider, cloud_provider
from stacks.providers.base import (
    AuditTrail,
    CloudIdentity,
    CloudNetwork,
    DedicatedLines,
    FlowLogsAndAlerts,
    FrontDoor,
    HostThreatDetection,
    IngressFrontDoors,
    ManagedBackup,
    ManagedKubernetes,
)


@dataclass
class CloudFoundation:
    provider: CloudProvider
    network: CloudNetwork


def cloud_foundation(env: Environment, parent: pulumi.Resource) -> CloudFoundation:
    """Provider, isolated network with default-deny zones, audit trail, cloud identity, instances
    (the KMS keys come per purpose as the parts need them).

    A capability the cloud lacks needs hosts carrying the role that stands in for it
    (``stacks.capabilities``): without them the spec is refused here, before anything exists.
    """
    if env.cloud is None:
        raise ValueError("cloud and hybrid layouts name their cloud")
    missing = uncovered(env)
    if missing:
        raise pulumi.RunError(f"{env.cloud.provider} cannot build this spec: " + "; ".join(missing))
    provider = cloud_provider(env.cloud, env.name, parent)
    zones = NetworkZones(
        res(env.name, "zones"),
        NetworkZonesArgs(env, env.zones_at("cloud"), provider),
        pulumi.ResourceOptions(parent=parent),
    )
    if isinstance(provider, AuditTrail):  # else the log audit servers keep it (stacks.capabilities)
        provider.audit_trail(parent)
    if isinstance(provider, CloudIdentity):  # else the cloud's owner keeps it (stacks.capabilities)
        provider.identity(env.passwords, env.admins, parent)
    hosts = env.hosts_at("cloud")
    if hosts:
        CloudHosts(
            res(env.name, "cloud-hosts"),
            CloudHostsArgs(hosts, zones.network, provider),
            pulumi.ResourceOptions(parent=parent),
        )
    return CloudFoundation(provider, zones.network)


def host_services(
    env: Environment, parent: pulumi.Resource, cloud: CloudFoundation | None
) -> tuple[LogAudit, ObjectStorage]:
    """Log audit first (every other host forwards to it) with the cloud's detection beside it,
    then bastion and storage."""
    inventory = render_inventory(env)
    logs = LogAudit(
        res(env.name, "log-audit"),
        LogAuditArgs(env, inventory, cloud.provider if cloud else None),
        pulumi.ResourceOptions(parent=parent),
    )
    if cloud is not None:
        cloud_detection(env, cloud, logs, parent)
    after_logs = pulumi.ResourceOptions(parent=parent, depends_on=[logs])
    if env.hosts_with("bastion"):
        Bastion(res(env.name, "bastion"), BastionArgs(env, inventory), after_logs)
    storage = ObjectStorage(
        res(env.name, "object-storage"),
        ObjectStorageArgs(env, inventory, cloud.provider if cloud else None),
        after_logs,
    )
    return logs, storage


def _shipper_image() -> str:
    return pulumi.Config("mlps").get("logShipperImage") or DEFAULT_SHIPPER_IMAGE


def deploy_cluster(
    env: Environment,
    placement: str,
    provider: k8s.Provider,
    parent: pulumi.Resource,
    targets: dict[str, S3Target],
    zoned_nodes: bool = False,
    doors: tuple[FrontDoor, ...] = (),
) -> ClusterBaseline:
    """The in-cluster baseline, then the placement's workloads into their zone namespaces (and,
    with ``zoned_nodes``, onto the nodes of their zone's node pool), then the ingress of each of
    the cloud's front ``doors`` in a zone of the cluster."""
    baseline = ClusterBaseline(
        res(env.name, placement, "baseline"),
        ClusterBaselineArgs(env, placement, provider, _shipper_image(), frozenset(d.zone for d in doors)),
        pulumi.ResourceOptions(parent=parent),
    )
    deployed: dict[str, list[pulumi.Resource]] = {}
    for zone_name, workloads in sorted(baseline.workloads.items()):
        for w in workloads:
            deployed.setdefault(zone_name, []).append(WorkloadDeployment(
                res(env.name, placement, "workload", w.name),
                WorkloadArgs(
                    workload=w,
                    namespace=zone_name,
                    environment=env.name,
                    provider=provider,
                    where=f"the spec (/workloads, {w.name})",
                    s3=targets.get(w.name) if w.kind == "pacs" else None,
                    node_zone=zone_name if zoned_nodes else None,
                ),
                pulumi.ResourceOptions(parent=parent, depends_on=[baseline]),
            ))
    for door in doors:
        if door.zone not in baseline.workloads:
            continue
        IngressFrontDoor(
            res(env.name, placement, "front-door", door.zone),
            IngressFrontDoorArgs(door, list(baseline.workloads[door.zone]), env.name, provider),
            pulumi.ResourceOptions(parent=parent, depends_on=deployed[door.zone]),
        )
    return baseline


def kubeadm_cluster(
    env: Environment, parent: pulumi.Resource, logs: LogAudit, storage: ObjectStorage, placement: str
) -> None:
    """Nodes by Ansible (audit policy included), then the baseline through pulumi-kubernetes."""
    nodes: list[pulumi.Resource] = []
    hosts = "k8s-hosts" if placement == "onprem" else f"{placement}-k8s-hosts"
    if env.hosts_with("k8s_control_plane") or env.hosts_with("k8s_node"):
        nodes.append(
            AnsiblePlay(
                res(env.name, hosts),
                AnsiblePlayArgs(limit="k8s_control_plane:k8s_node", inventory=render_inventory(env)),
                pulumi.ResourceOptions(parent=parent, depends_on=[logs]),
            )
        )
    provider = k8s.Provider(
        res(env.name, placement, "k8s"),
        kubeconfig=pulumi.Config("mlps").get_secret("kubeconfig"),
        opts=pulumi.ResourceOptions(parent=parent, depends_on=[*nodes, storage]),
    )
    deploy_cluster(env, placement, provider, parent, storage.targets)


def onprem_cluster(env: Environment, parent: pulumi.Resource, logs: LogAudit, storage: ObjectStorage) -> None:
    """The hospital's own kubeadm cluster for the on-prem workloads."""
    if env.kubernetes.enabled and env.kubernetes.distribution == "kubeadm":
        kubeadm_cluster(env, parent, logs, storage, "onprem")


def cloud_cluster(
    env: Environment, parent: pulumi.Resource, cloud: CloudFoundation, logs: LogAudit, storage: ObjectStorage
) -> None:
    """The cluster of the cloud workloads, then the same in-cluster baseline: the cloud's managed
    Kubernetes, or kubeadm on the spec's cloud hosts where the cloud has none."""
    zones = sorted({w.zone for w in env.workloads if w.placement == "cloud"})
    if not zones or not env.kubernetes.enabled:
        return
    if not isinstance(cloud.provider, ManagedKubernetes):
        if env.kubernetes.distribution != "kubeadm":
            raise pulumi.RunError(
                f"kubernetes.distribution {env.kubernetes.distribution} is a managed service "
                f"{env.cloud.provider if env.cloud else 'the cloud'} does not offer: use kubeadm"
            )
        kubeadm_cluster(env, parent, logs, storage, "cloud")
        return
    if logs.log_project is None:
        return
    provider = cloud.provider.kubernetes(
        cloud.network,
        zones,
        cloud.provider.encryption_key("secrets", parent),
        logs.log_project,
        env.log_retention_days,
        env.kubernetes.version,
        parent,
    )
    doors = cloud.provider.front_doors() if isinstance(cloud.provider, IngressFrontDoors) else []
    deploy_cluster(env, "cloud", provider, parent, {}, zoned_nodes=True, doors=tuple(doors))


def cloud_backup(env: Environment, parent: pulumi.Resource, cloud: CloudFoundation) -> None:
    """The cloud's backup of the instances and buckets built so far and its off-site copies; a
    cloud without managed backup leaves them to the hospital's own backup, which ``mlps synth``
    notes (``stacks.capabilities.backup_notices``)."""
    if isinstance(cloud.provider, ManagedBackup):
        cloud.provider.backup(env.backup, parent)


def cloud_detection(
    env: Environment, cloud: CloudFoundation, logs: LogAudit, parent: pulumi.Resource
) -> None:
    """Flow logs of the cloud network into the central log project, alerts on the cloud's
    management events and host threat detection on the cloud hosts, where the cloud offers them
    (else the log audit servers and the baseline stand in: ``stacks.capabilities``)."""
    if isinstance(cloud.provider, FlowLogsAndAlerts) and logs.log_project is not None:
        cloud.provider.flow_logs(cloud.network, logs.log_project, env.log_retention_days, parent)
        cloud.provider.event_alerts(parent)
    if isinstance(cloud.provider, HostThreatDetection) and env.hosts_at("cloud"):
        cloud.provider.threat_detection(parent)


def cloud_lines(
    env: Environment,
    parent: pulumi.Resource,
    cloud: CloudFoundation,
    passwords: dict[str, pulumi.Output[str]],
) -> None:
    """The cloud end of the spec's dedicated lines, with each line's BGP password from the
    hospital end (``passwords``); a cloud without them leaves the cloud end to the carrier's own
    line termination, which ``mlps synth`` notes (``stacks.capabilities.line_notices``)."""
    if isinstance(cloud.provider, DedicatedLines):
        cloud.provider.dedicated_lines(cloud.network, env.links, passwords, parent)
