"""ACK: the managed cluster with Terway, its pod vSwitch and one node pool per zone."""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Sequence

import pulumi
import pulumi_alicloud as ali
import pulumi_kubernetes as k8s

from mlps.availability import labelled
from stacks.components.kube import LABEL_ZONE
from stacks.naming import res
from stacks.providers.alicloud.base import AlicloudBase
from stacks.providers.alicloud.ranges import POD_CIDRS, SERVICE_CIDRS, free_cidr, supernet
from stacks.providers.base import CloudNetwork

OFFLINE_RELEASE = "[newest patch]"
"""What an offline synthesis shows after the spec's minor version in the ACK release (no cloud
answers the release lookup)."""
TERWAY = "terway-eniip"
"""The ACK network plugin that enforces NetworkPolicy (Flannel, the default, does not); the
plugin is fixed when the cluster is created."""
TERWAY_CONFIG = json.dumps(
    {"ENITrunking": "false", "IPVlan": "false", "NetworkPolicy": "true"}, sort_keys=True
)
"""Terway in shared-ENI mode with NetworkPolicy enforcement switched on."""
ALB_INGRESS = "alb-ingress-controller"
"""ACK's ingress controller that binds pods to an application load balancer (the front doors)."""
NODES_PER_ZONE = "2"
"""Nodes of each zone's pool: a zone's workloads survive the loss of one node."""
ADMIN_CREDENTIAL_MINUTES = 60
"""Lifetime of the cluster-admin kubeconfig the program deploys with (fetched anew on each run)."""


def ack_release(minor: str, releases: Sequence[str] | None) -> str:
    """The newest ACK release of Kubernetes ``minor`` (``1.31`` → e.g. ``1.31.9-aliyun.1``) among
    ``releases``; ``<minor>.[newest patch]`` offline (``None``: no cloud answered the lookup)."""
    if releases is None:
        return f"{minor}.{OFFLINE_RELEASE}"
    mine = [r for r in releases if r.startswith(f"{minor}.")]
    if not mine:
        raise pulumi.RunError(
            f"kubernetes.version {minor}: ACK offers no release of it here "
            f"(offered: {', '.join(sorted(releases)) or 'none'})"
        )
    return max(mine, key=lambda r: [int(n) for n in re.findall(r"\d+", r)])


class Ack(AlicloudBase):
    def _pod_switches(self, net: CloudNetwork, parent: pulumi.Resource) -> list[ali.vpc.Switch]:
        """The vSwitches Terway gives pods their VPC addresses from, one in each availability zone
        of the nodes: a range no zone uses, added to the VPC as a secondary block when outside its
        range, cut as the zones' ranges are (``mlps.availability``)."""
        pods = free_cidr(POD_CIDRS, self._cidrs)
        extra: list[pulumi.Resource] = []
        if not ipaddress.IPv4Network(pods).subnet_of(ipaddress.IPv4Network(supernet(self._cidrs))):
            extra.append(
                ali.vpc.Ipv4CidrBlock(
                    res(self.env, "vpc", "pods"),
                    vpc_id=net.network_id,
                    secondary_cidr_block=pods,
                    opts=self._opts(parent),
                )
            )
        switches = []
        for label, az, cidr in labelled(pods, self.availability_zones):
            tail = (label,) if label else ()
            switches.append(
                ali.vpc.Switch(
                    res(self.env, "vsw", "pods", *tail),
                    vswitch_name=res(self.env, "pods", *tail),
                    vpc_id=net.network_id,
                    cidr_block=cidr,
                    zone_id=az,
                    description="Pod addresses of the Kubernetes cluster (Terway)",
                    tags={"mlps:pods": res(self.env, "ack")},
                    opts=self._opts(parent, depends_on=extra),
                )
            )
        return switches

    def kubernetes(
        self,
        net: CloudNetwork,
        zones: list[str],
        key: pulumi.Output[str],
        log_project: pulumi.Output[str],
        retention_days: int,
        version: str,
        parent: pulumi.Resource,
    ) -> k8s.Provider:
        """ACK with Terway enforcing NetworkPolicy, the spec's Kubernetes version, no NAT gateway,
        the ALB ingress controller where a zone has a front door, and one node pool per zone
        across the zone's vSwitches (its nodes balanced over the availability zones) behind the
        zone's security group."""
        releases = ali.cs.get_kubernetes_version_output(
            cluster_type="ManagedKubernetes", opts=pulumi.InvokeOutputOptions(provider=self.provider)
        ).metadatas.apply(lambda ms: None if ms is None else [m.version for m in ms])
        cluster = ali.cs.ManagedKubernetes(
            res(self.env, "ack"),
            name=res(self.env, "ack"),
            cluster_spec="ack.pro.small",
            version=releases.apply(lambda rs: ack_release(version, rs)),
            vswitch_ids=[i for z in zones for i in net.subnet_ids(z)],
            pod_vswitch_ids=[s.id for s in self._pod_switches(net, parent)],
            addons=[
                ali.cs.ManagedKubernetesAddonArgs(name=TERWAY, config=TERWAY_CONFIG),
                *(
                    [ali.cs.ManagedKubernetesAddonArgs(name=ALB_INGRESS)]
                    if any(d.zone in zones for d in self._doors)
                    else []
                ),
            ],
            service_cidr=free_cidr(SERVICE_CIDRS, self._cidrs),
            new_nat_gateway=False,
            slb_internet_enabled=False,
            deletion_protection=True,
            encryption_provider_key=key,
            enable_rrsa=True,
            control_plane_log_components=["apiserver", "kcm", "scheduler", "ccm"],
            control_plane_log_project=log_project,
            control_plane_log_ttl=str(retention_days),
            audit_log_config=ali.cs.ManagedKubernetesAuditLogConfigArgs(
                enabled=True, sls_project_name=log_project
            ),
            opts=self._opts(parent),
        )
        for zone in zones:
            ali.cs.NodePool(
                res(self.env, "ack-nodes", zone),
                node_pool_name=res(self.env, "nodes", zone),
                cluster_id=cluster.id,
                vswitch_ids=net.subnet_ids(zone),
                multi_az_policy="BALANCE",
                security_group_ids=[net.security_groups[zone]],
                labels=[ali.cs.NodePoolLabelArgs(key=LABEL_ZONE, value=zone)],
                instance_types=[self.instance_type],
                desired_size=NODES_PER_ZONE,
                system_disk_category="cloud_essd",
                system_disk_encrypted=True,
                system_disk_kms_key=self.encryption_key("disks", parent),
                security_hardening_os=True,
                login_as_non_root=True,
                tags={"mlps:zone": zone},
                opts=self._opts(parent),
            )
        credential = ali.cs.get_cluster_credential_output(
            cluster_id=cluster.id,
            temporary_duration_minutes=ADMIN_CREDENTIAL_MINUTES,
            opts=pulumi.InvokeOutputOptions(provider=self.provider),
        )
        return k8s.Provider(
            res(self.env, "ack-k8s"),
            kubeconfig=pulumi.Output.secret(credential.kube_config),
            opts=pulumi.ResourceOptions(parent=parent),
        )
