"""Alibaba Cloud (pulumi-alicloud): mainland-China regions only."""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Sequence

import pulumi
import pulumi_alicloud as ali
import pulumi_kubernetes as k8s

from stacks.components.kube import LABEL_ZONE
from stacks.model import DEFAULT_IMAGE, Bucket, Cloud, Host, Zone
from stacks.naming import res
from stacks.providers.base import CloudNetwork, SecurityRule

_POD_CIDRS = ("10.244.0.0/16", "172.30.0.0/16", "192.168.128.0/18")
_SERVICE_CIDRS = ("10.96.0.0/16", "172.31.0.0/16", "192.168.192.0/18")
KEEP: dict[str, bool] = {"protect": True, "retain_on_delete": True}
"""Options of what must outlive a mistaken ``pulumi destroy``: audit log stores, KMS keys and
locked buckets (``pulumi destroy`` refuses them; removed from the program, they stay in the cloud)."""
TRAIL_RETENTION_DAYS = 180
"""Days the audit trail's log store and archive bucket keep events (Cybersecurity Law art. 21)."""
ACCESS_LOG_DAYS = 180
"""Days the access-log bucket keeps every bucket's access records under its locked retention."""
OFFLINE_ACCOUNT = "[account]"
"""The account id an offline synthesis shows in ARNs (no cloud answers the account lookup)."""
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
NODES_PER_ZONE = "2"
"""Nodes of each zone's pool: a zone's workloads survive the loss of one node."""
ADMIN_CREDENTIAL_MINUTES = 60
"""Lifetime of the cluster-admin kubeconfig the program deploys with (fetched anew on each run)."""


def tls_only_policy(bucket: str) -> str:
    """OSS bucket policy refusing every request made without TLS (``acs:SecureTransport``)."""
    return json.dumps(
        {
            "Version": "1",
            "Statement": [
                {
                    "Effect": "Deny",
                    "Action": ["oss:*"],
                    "Principal": ["*"],
                    "Resource": [f"acs:oss:*:*:{bucket}", f"acs:oss:*:*:{bucket}/*"],
                    "Condition": {"Bool": {"acs:SecureTransport": ["false"]}},
                }
            ],
        },
        sort_keys=True,
    )


def supernet(cidrs: list[str]) -> str:
    """Smallest network holding every zone of the VPC (at least a /24, at most a /8)."""
    nets = [ipaddress.IPv4Network(c) for c in cidrs]
    first = nets[0]
    for prefix in range(min(24, *(n.prefixlen for n in nets)), 7, -1):
        candidate = first.supernet(new_prefix=prefix)
        if all(n.subnet_of(candidate) for n in nets):
            return str(candidate)
    raise ValueError(f"zones {cidrs} do not fit one private VPC range")


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


def free_cidr(candidates: tuple[str, ...], used: list[str]) -> str:
    taken = [ipaddress.ip_network(c) for c in used]
    for c in candidates:
        if not any(ipaddress.ip_network(c).overlaps(t) for t in taken):
            return c
    raise ValueError("no free range for the cluster's pods and services")


class Alicloud:
    """CloudProvider for Alibaba Cloud."""

    def __init__(self, cloud: Cloud, env: str, parent: pulumi.Resource) -> None:
        config = pulumi.Config("mlps")
        self.env = env
        self.region = cloud.region
        self.kms = cloud.kms
        self.audit = cloud.audit_trail
        self.zone_id = config.get("cloudZoneId") or f"{cloud.region}-b"
        self.instance_type = config.get("instanceType") or "ecs.g7.large"
        # An image outside cloud.approved_images is refused by approved_instance_image (CLD-IMG-01).
        self.image_id = config.get("imageId") or (cloud.approved_images or (DEFAULT_IMAGE,))[0]
        self.provider = ali.Provider(
            res(env, "alicloud"),
            region=cloud.region,
            opts=pulumi.ResourceOptions(parent=parent),
        )
        self.project_name = res(env, "audit")
        self._cidrs: list[str] = []
        self._access_logs: ali.oss.Bucket | None = None

    def _opts(self, parent: pulumi.Resource, **kw: object) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(parent=parent, provider=self.provider, **kw)  # type: ignore[arg-type]

    def network(self, zones: tuple[Zone, ...], parent: pulumi.Resource) -> CloudNetwork:
        self._cidrs = [z.cidr for z in zones]
        vpc = ali.vpc.Network(
            res(self.env, "vpc"),
            vpc_name=res(self.env, "vpc"),
            cidr_block=supernet(self._cidrs),
            description=f"{self.env}: isolated network of the environment",
            opts=self._opts(parent),
        )
        net = CloudNetwork(network_id=vpc.id)
        for zone in zones:
            switch = ali.vpc.Switch(
                res(self.env, "vsw", zone.name),
                vswitch_name=res(self.env, zone.name),
                vpc_id=vpc.id,
                cidr_block=zone.cidr,
                zone_id=self.zone_id,
                description=zone.description or zone.kind,
                tags={"mlps:zone": zone.name},
                opts=self._opts(parent),
            )
            group = ali.ecs.SecurityGroup(
                res(self.env, "sg", zone.name),
                security_group_name=res(self.env, zone.name),
                vpc_id=vpc.id,
                inner_access_policy="Drop",
                security_group_type="normal",
                description=f"{zone.name} ({zone.kind}): default deny",
                tags={"mlps:zone": zone.name},
                opts=self._opts(parent),
            )
            net.subnets[zone.name] = switch.id
            net.security_groups[zone.name] = group.id
            ali.ecs.SecurityGroupRule(
                res(self.env, "sg", zone.name, "egress-deny-all"),
                security_group_id=group.id,
                type="egress",
                ip_protocol="all",
                port_range="-1/-1",
                cidr_ip="0.0.0.0/0",
                policy="drop",
                priority=100,
                nic_type="intranet",
                description="Default deny: only the spec's flows leave the zone",
                opts=self._opts(parent),
            )
        return net

    def security_rules(self, net: CloudNetwork, rules: list[SecurityRule], parent: pulumi.Resource) -> None:
        for r in rules:
            where = r.cidr.replace("/", "-").replace(".", "-")
            ali.ecs.SecurityGroupRule(
                res(self.env, "sg", r.zone, r.direction, r.protocol, str(r.port), where),
                security_group_id=net.security_groups[r.zone],
                type=r.direction,
                ip_protocol=r.protocol,
                port_range=f"{r.port}/{r.port}",
                cidr_ip=r.cidr,
                policy="accept",
                priority=1,
                nic_type="intranet",
                description=r.description[:512] or f"{r.direction} {r.port}",
                opts=self._opts(parent),
            )

    def encryption_key(self, parent: pulumi.Resource) -> pulumi.Output[str]:
        key = ali.kms.Key(
            res(self.env, "kms"),
            description=f"{self.env}: encryption at rest (buckets, disks, Secrets, logs)",
            key_usage="ENCRYPT/DECRYPT",
            key_spec="Aliyun_AES_256",
            protection_level="HSM",
            automatic_rotation="Enabled",
            rotation_interval="8760h",
            pending_window_in_days=30,
            deletion_protection="Enabled",
            opts=self._opts(parent, **KEEP),
        )
        return key.id

    def instance(
        self, host: Host, net: CloudNetwork, key: pulumi.Output[str], parent: pulumi.Resource
    ) -> pulumi.Resource:
        return ali.ecs.Instance(
            res(self.env, "ecs", host.name),
            instance_name=res(self.env, host.name),
            host_name=host.name,
            instance_type=self.instance_type,
            image_id=self.image_id,
            vswitch_id=net.subnets[host.zone],
            security_groups=[net.security_groups[host.zone]],
            private_ip=host.address,
            internet_max_bandwidth_out=0,
            system_disk_category="cloud_essd",
            system_disk_encrypted=True,
            system_disk_kms_key_id=key,
            security_enhancement_strategy="Active",
            http_tokens="required",
            deletion_protection=True,
            tags={"mlps:roles": ",".join(host.roles) or "baseline", "mlps:zone": host.zone},
            opts=self._opts(parent),
        )

    def log_store(self, retention_days: int, parent: pulumi.Resource) -> pulumi.Output[str]:
        project = ali.log.Project(
            res(self.env, "log-project"),
            project_name=self.project_name,
            description=f"{self.env}: central audit logs",
            opts=self._opts(parent, **KEEP),
        )
        ali.log.Store(
            res(self.env, "log-store"),
            project_name=project.project_name,
            logstore_name="audit",
            retention_period=retention_days,
            shard_count=2,
            auto_split=True,
            append_meta=True,
            opts=self._opts(parent, **KEEP),
        )
        return project.project_name

    def _guard(
        self, oss: ali.oss.Bucket, part: str, name: str, logs: pulumi.Input[str], parent: pulumi.Resource
    ) -> None:
        """Bucket ``name`` (resources named after ``part``): public access blocked, access logged
        into ``logs``, requests without TLS refused."""
        ali.oss.BucketPublicAccessBlock(
            res(self.env, "oss", part, "public-block"),
            bucket=oss.bucket,
            block_public_access=True,
            opts=self._opts(parent),
        )
        ali.oss.BucketLogging(
            res(self.env, "oss", part, "logging"),
            bucket=oss.bucket,
            target_bucket=logs,
            target_prefix=f"{name}/",
            opts=self._opts(parent),
        )
        ali.oss.BucketPolicy(
            res(self.env, "oss", part, "tls-only"),
            bucket=oss.bucket,
            policy=tls_only_policy(name),
            opts=self._opts(parent),
        )

    def _records_bucket(self, part: str, days: int, parent: pulumi.Resource) -> ali.oss.Bucket:
        """The environment's own audit bucket ``<env>-<part>``: versioned, encrypted, guarded, under
        a locked retention of ``days``, logging its access into the access-log bucket."""
        name = res(self.env, part)
        oss = ali.oss.Bucket(
            res(self.env, "oss", part),
            bucket=name,
            versioning=ali.oss.BucketVersioningArgs(status="Enabled"),
            server_side_encryption_rule=ali.oss.BucketServerSideEncryptionRuleArgs(sse_algorithm="AES256"),
            redundancy_type="ZRS",
            tags={"mlps:data-class": "audit"},
            opts=self._opts(parent, **KEEP),
        )
        ali.oss.BucketWorm(
            res(self.env, "oss", part, "worm"),
            bucket=oss.bucket,
            retention_period_in_days=days,
            status="Locked",
            opts=self._opts(parent, **KEEP),
        )
        logs = oss.bucket if self._access_logs is None else self._access_logs.bucket
        self._guard(oss, part, name, logs, parent)
        return oss

    def _access_log_bucket(self, parent: pulumi.Resource) -> ali.oss.Bucket:
        """The bucket receiving every bucket's access log (itself included), created once."""
        if self._access_logs is None:
            self._access_logs = self._records_bucket("access-logs", ACCESS_LOG_DAYS, parent)
        return self._access_logs

    def bucket(self, bucket: Bucket, key: pulumi.Output[str], parent: pulumi.Resource) -> ali.oss.Bucket:
        locked = bucket.lock_mode != "none"
        oss = ali.oss.Bucket(
            res(self.env, "oss", bucket.name),
            bucket=bucket.name,
            versioning=ali.oss.BucketVersioningArgs(status="Enabled" if bucket.versioning else "Suspended"),
            server_side_encryption_rule=ali.oss.BucketServerSideEncryptionRuleArgs(
                sse_algorithm="KMS", kms_master_key_id=key
            )
            if bucket.encryption == "sse-kms"
            else ali.oss.BucketServerSideEncryptionRuleArgs(sse_algorithm="AES256"),
            redundancy_type="ZRS" if bucket.replicas > 1 else "LRS",
            tags={"mlps:data-class": bucket.data_class},
            opts=self._opts(parent, **(KEEP if locked else {})),
        )
        if locked:
            # OSS has one WORM mode: COMPLIANCE and GOVERNANCE both get a locked policy, since an
            # unlocked one (InProgress) can be withdrawn and lapses after 24 hours.
            ali.oss.BucketWorm(
                res(self.env, "oss", bucket.name, "worm"),
                bucket=oss.bucket,
                retention_period_in_days=bucket.lock_days,
                status="Locked",
                opts=self._opts(parent, **KEEP),
            )
        self._guard(oss, bucket.name, bucket.name, self._access_log_bucket(parent).bucket, parent)
        return oss

    def audit_trail(self, parent: pulumi.Resource) -> pulumi.Resource:
        """ActionTrail over every region, delivering to an SLS log store and to a private bucket,
        both kept ``TRAIL_RETENTION_DAYS`` (the bucket under a locked retention)."""
        name = res(self.env, "trail")
        project = ali.log.Project(
            res(self.env, "trail-project"),
            project_name=res(self.env, "actiontrail"),
            description=f"{self.env}: cloud audit trail",
            opts=self._opts(parent, **KEEP),
        )
        # ActionTrail writes into the store actiontrail_<trail name> of the project it names.
        store = ali.log.Store(
            res(self.env, "trail-store"),
            project_name=project.project_name,
            logstore_name=f"actiontrail_{name}",
            retention_period=TRAIL_RETENTION_DAYS,
            shard_count=2,
            auto_split=True,
            append_meta=True,
            opts=self._opts(parent, **KEEP),
        )
        self._access_log_bucket(parent)
        archive = self._records_bucket("actiontrail", TRAIL_RETENTION_DAYS, parent)
        account = ali.get_account_output(opts=pulumi.InvokeOutputOptions(provider=self.provider)).id
        arn = pulumi.Output.all(account, project.project_name).apply(
            lambda a: f"acs:log:{self.region}:{a[0] or OFFLINE_ACCOUNT}:project/{a[1]}"
        )
        return ali.actiontrail.Trail(
            name,
            trail_name=name,
            event_rw="All",
            trail_region="All",
            sls_project_arn=arn,
            oss_bucket_name=archive.bucket,
            oss_key_prefix="actiontrail",
            status="Enable" if self.audit else "Disable",
            opts=self._opts(parent, depends_on=[store]),
        )

    def _pod_switch(self, net: CloudNetwork, parent: pulumi.Resource) -> ali.vpc.Switch:
        """The vSwitch Terway gives pods their VPC addresses from, in the nodes' availability zone:
        a range no zone uses, added to the VPC as a secondary block when outside its range."""
        pods = free_cidr(_POD_CIDRS, self._cidrs)
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
        return ali.vpc.Switch(
            res(self.env, "vsw", "pods"),
            vswitch_name=res(self.env, "pods"),
            vpc_id=net.network_id,
            cidr_block=pods,
            zone_id=self.zone_id,
            description="Pod addresses of the Kubernetes cluster (Terway)",
            tags={"mlps:pods": res(self.env, "ack")},
            opts=self._opts(parent, depends_on=extra),
        )

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
        and one node pool per zone in the zone's vSwitch behind the zone's security group."""
        releases = ali.cs.get_kubernetes_version_output(
            cluster_type="ManagedKubernetes", opts=pulumi.InvokeOutputOptions(provider=self.provider)
        ).metadatas.apply(lambda ms: None if ms is None else [m.version for m in ms])
        cluster = ali.cs.ManagedKubernetes(
            res(self.env, "ack"),
            name=res(self.env, "ack"),
            cluster_spec="ack.pro.small",
            version=releases.apply(lambda rs: ack_release(version, rs)),
            vswitch_ids=[net.subnets[z] for z in zones],
            pod_vswitch_ids=[self._pod_switch(net, parent).id],
            addons=[ali.cs.ManagedKubernetesAddonArgs(name=TERWAY, config=TERWAY_CONFIG)],
            service_cidr=free_cidr(_SERVICE_CIDRS, self._cidrs),
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
                vswitch_ids=[net.subnets[zone]],
                security_group_ids=[net.security_groups[zone]],
                labels=[ali.cs.NodePoolLabelArgs(key=LABEL_ZONE, value=zone)],
                instance_types=[self.instance_type],
                desired_size=NODES_PER_ZONE,
                system_disk_category="cloud_essd",
                system_disk_encrypted=True,
                system_disk_kms_key=key,
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
