"""Alibaba Cloud (pulumi-alicloud) resources as neutral facts.

ActionTrail delivers to an SLS project (``slsProjectArn``) into the log store
``actiontrail_<trail name>`` and to an OSS bucket (``ossBucketName``). A bucket's protection is
spread over resources naming it: ``BucketWorm`` (``Locked`` or the ``InProgress`` state that
lapses after 24 hours), ``BucketPublicAccessBlock``, ``BucketLogging`` and ``BucketPolicy``.
Zones, their security groups and instances carry the tag ``mlps:zone``. An ACK cluster's network
plugin is one of its ``addons``: only Terway in shared-ENI mode (``terway-eniip``) with
``NetworkPolicy`` set to ``"true"`` in its config enforces NetworkPolicy; Flannel, ACK's
default when no plugin is named, does not. The vSwitch Terway takes pod addresses from carries
the tag ``mlps:pods`` and is the cluster's, not a zone, as are the transit router's own vSwitches
(tag ``mlps:transit``). RAM (identity) is read by :mod:`policy.facts.alicloud_ram`, backup by
:mod:`policy.facts.alicloud_backup`, dedicated lines by :mod:`policy.facts.alicloud_lines`, front
doors by :mod:`policy.facts.alicloud_front` and their listeners by
:mod:`policy.facts.alicloud_listeners`, zones, security groups and flow logs by
:mod:`policy.facts.alicloud_network`. A log store is
encrypted with a customer key through ``encryptConf.userCmkInfo`` and indexed by a ``StoreIndex``
naming it; a VPC flow log covers the zones of the VPC (or the one vSwitch) it names; an SLS alert
watches the management events its queries select (``stacks.providers.alicloud.events``), over the
stores they read, fires on a severity condition and is muted by any ``muteUntil``: a plan cannot
know when it is applied, so no mute is judged to have lapsed.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from policy.facts import alicloud_backup, alicloud_front, alicloud_lines, alicloud_listeners
from policy.facts import alicloud_network as network
from policy.facts import alicloud_ram as ram
from policy.facts.model import (
    AlertRule,
    AuditTrail,
    Bucket,
    Cloud,
    Cluster,
    Destination,
    Facts,
    HostSecurity,
    Instance,
    Key,
    Lock,
    LogSink,
    NodePool,
    mainland,
    subject,
)
from policy.facts.values import listed, whole
from stacks.keys import PURPOSE_TAG
from stacks.providers.alicloud.events import events_of

if TYPE_CHECKING:
    from policy.policies.base import PlanGraph, PlanResource

PACKAGE = "alicloud"
PROVIDER = "pulumi:providers:alicloud"
TRAIL = "alicloud:actiontrail/trail:Trail"
STORE = "alicloud:log/store:Store"
BUCKET = "alicloud:oss/bucket:Bucket"
WORM = "alicloud:oss/bucketWorm:BucketWorm"
PUBLIC_BLOCK = "alicloud:oss/bucketPublicAccessBlock:BucketPublicAccessBlock"
LOGGING = "alicloud:oss/bucketLogging:BucketLogging"
POLICY = "alicloud:oss/bucketPolicy:BucketPolicy"
SWITCH = "alicloud:vpc/switch:Switch"
EIP_ASSOCIATIONS = ("alicloud:ecs/eipAssociation:EipAssociation",)
"""An elastic public address bound to an instance (``instanceId``)."""
GROUP = "alicloud:ecs/securityGroup:SecurityGroup"
RULE = "alicloud:ecs/securityGroupRule:SecurityGroupRule"
KEY = "alicloud:kms/key:Key"
INSTANCE = "alicloud:ecs/instance:Instance"
CLUSTER = "alicloud:cs/managedKubernetes:ManagedKubernetes"
NODE_POOL = "alicloud:cs/nodePool:NodePool"
SECURITY_CENTER = "alicloud:threatdetection/instance:Instance"
NETWORK_PLUGINS = ("terway-eniip", "terway-eni", "flannel")
"""ACK addons that are the cluster's network plugin."""
ENFORCING_PLUGIN = "terway-eniip"
POD_TAG = "mlps:pods"
TRANSIT_TAG = "mlps:transit"
"""Tags of vSwitches that are no zone: the pods' addresses, the transit router's own vSwitches."""
TRAIL_STORE_PREFIX = "actiontrail_"
"""ActionTrail writes into the log store ``actiontrail_<trail name>`` of the project it names."""
ZONE_TAG = "mlps:zone"
ANYWHERE = ("0.0.0.0/0", "::/0")
_LOCKS: dict[str, Lock] = {"Locked": "locked", "InProgress": "unlocked"}
def tags(r: PlanResource) -> dict[str, Any]:
    """A resource's tags (none: empty)."""
    return dict(r.props.get("tags") or {})


def trail_store(project: str, trail: str) -> str:
    """The name of the log sink ActionTrail fills: ``<project>/actiontrail_<trail>``."""
    return f"{project}/{TRAIL_STORE_PREFIX}{trail}"


def _project_of(arn: str) -> str:
    """``acs:log:<region>:<account>:project/<name>`` → ``<name>`` ('' when not such an ARN)."""
    head, sep, name = arn.rpartition(":project/")
    return name if sep and head.startswith("acs:log:") else ""


def _trail(r: PlanResource) -> AuditTrail:
    p = r.props
    name = str(p.get("trailName") or p.get("name") or r.name)
    destinations = []
    project = _project_of(str(p.get("slsProjectArn") or ""))
    if project:
        destinations.append(Destination("log_store", trail_store(project, name)))
    if p.get("ossBucketName"):
        destinations.append(Destination("bucket", str(p["ossBucketName"])))
    return AuditTrail(
        name=name,
        provider=PACKAGE,
        enabled=p.get("status") == "Enable",
        all_events=p.get("eventRw") in (None, "All"),
        all_regions=p.get("trailRegion") == "All",
        destinations=tuple(destinations),
        subject=subject(r),
    )


def sink_name(project: Any, store: Any) -> str:
    return f"{project}/{store}"


def _store(graph: PlanGraph, r: PlanResource) -> LogSink:
    p = r.props
    days = p.get("retentionPeriod")
    name = sink_name(p.get("projectName") or p.get("project"), p.get("logstoreName") or p.get("name"))
    encrypt = p.get("encryptConf") or {}
    cmk = (encrypt.get("userCmkInfo") or {}).get("cmkKeyId")
    indexes = [*graph.referencing(STORE_INDEX, "logstore", r)]
    indexes += [
        i
        for i in graph.of_type(STORE_INDEX)
        if sink_name(i.props.get("project"), i.props.get("logstore")) == name
    ]
    return LogSink(
        name=name,
        provider=PACKAGE,
        retention_days=whole(days),
        encrypted=bool(encrypt.get("enable")),
        subject=subject(r),
        key=_key_ref(graph, r, "encryptConf", cmk) if encrypt.get("enable") and cmk else None,
        indexed=any(i.props.get("fullText") or i.props.get("fieldSearches") for i in indexes),
    )


def _naming(graph: PlanGraph, type_: str, bucket: PlanResource, name: str) -> list[PlanResource]:
    """Resources of ``type_`` configuring ``bucket``: by reference, or by its name."""
    found = {r.urn: r for r in graph.referencing(type_, "bucket", bucket)}
    found.update({r.urn: r for r in graph.of_type(type_) if r.props.get("bucket") == name})
    return list(found.values())


def refuses_plaintext(document: Any) -> bool:
    """An OSS bucket policy denying every action to everyone when ``acs:SecureTransport`` is false."""
    try:
        policy = json.loads(document) if isinstance(document, str) else document
        statements = policy.get("Statement") or []
    except (ValueError, AttributeError):
        return False
    for s in statements:
        if not isinstance(s, dict) or s.get("Effect") != "Deny":
            continue
        condition = (s.get("Condition") or {}).get("Bool") or {}
        insecure = condition.get("acs:SecureTransport")
        if (
            insecure in (["false"], "false")
            and "oss:*" in listed(s.get("Action"))
            and "*" in listed(s.get("Principal"))
        ):
            return True
    return False


def _key_ref(graph: PlanGraph, r: PlanResource, prop: str, value: Any) -> str | None:
    """The URN of the plan's KMS key behind ``prop`` (else the key id as written, or None)."""
    keys = {k.urn for k in graph.of_type(KEY)}
    for urn in r.deps.get(prop, ()):
        if urn in keys:
            return urn
    return str(value) if value else None


def _bucket(graph: PlanGraph, r: PlanResource) -> Bucket:
    p = r.props
    name = str(p.get("bucket") or r.name)
    worms = _naming(graph, WORM, r, name)
    states = [_LOCKS.get(str(w.props.get("status") or "InProgress"), "none") for w in worms]
    lock: Lock = "locked" if "locked" in states else "unlocked" if "unlocked" in states else "none"
    days = [d for d in (whole(w.props.get("retentionPeriodInDays")) for w in worms) if d is not None]
    rule = p.get("serverSideEncryptionRule") or {}
    sse = rule.get("sseAlgorithm")
    blocked = any(b.props.get("blockPublicAccess") is True for b in _naming(graph, PUBLIC_BLOCK, r, name))
    return Bucket(
        name=name,
        provider=PACKAGE,
        data_class=tags(r).get("mlps:data-class"),
        versioning=(p.get("versioning") or {}).get("status") == "Enabled",
        lock=lock,
        retention_days=max(days) if days else None,
        public_access_blocked=blocked and str(p.get("acl") or "private") == "private",
        tls_only=any(refuses_plaintext(x.props.get("policy")) for x in _naming(graph, POLICY, r, name)),
        access_logging=any(x.props.get("targetBucket") for x in _naming(graph, LOGGING, r, name)),
        encrypted=sse in ("KMS", "AES256", "SM4"),
        key=_key_ref(graph, r, "serverSideEncryptionRule", rule.get("kmsMasterKeyId"))
        if sse == "KMS"
        else None,
        subject=subject(r),
    )


def _key(r: PlanResource) -> Key:
    p = r.props
    return Key(
        id=r.urn,
        provider=PACKAGE,
        algorithm=str(p.get("keySpec") or "Aliyun_AES_256"),
        custody="customer-hsm" if p.get("protectionLevel") == "HSM" else "customer",
        rotation=p.get("automaticRotation") == "Enabled",
        subject=subject(r),
        purpose=tags(r).get(PURPOSE_TAG),
    )


def _availability_zones(graph: PlanGraph, r: PlanResource, prop: str) -> tuple[str, ...]:
    """The availability zones of the plan's vSwitches ``r`` names in ``prop``."""
    named = set(r.deps.get(prop, ()))
    switches = [s for s in graph.of_type(SWITCH) if s.urn in named and s.props.get("zoneId")]
    return tuple(sorted({str(s.props["zoneId"]) for s in switches}))


def _instance(graph: PlanGraph, r: PlanResource) -> Instance:
    p = r.props
    labels = tags(r)
    switch_zones = _availability_zones(graph, r, "vswitchId")
    return Instance(
        name=str(p.get("instanceName") or r.name),
        provider=PACKAGE,
        zone=labels.get(ZONE_TAG),
        public_address=public_bandwidth(p.get("internetMaxBandwidthOut"))
        or any(r.urn in a.deps.get("instanceId", ()) for a in graph.of_type(*EIP_ASSOCIATIONS)),
        disk_encrypted=bool(p.get("systemDiskEncrypted")),
        disk_key=_key_ref(graph, r, "systemDiskKmsKeyId", p.get("systemDiskKmsKeyId")),
        roles=tuple(x for x in str(labels.get("mlps:roles") or "").split(",") if x),
        subject=subject(r),
        # where the vSwitch lies, whatever the instance declares: a vSwitch has one availability zone
        availability_zone=switch_zones[0] if switch_zones else p.get("availabilityZone") or None,
        image=str(p["imageId"]) if p.get("imageId") else None,
        # in a vSwitch the plan builds, not one of another network named by id
        placed=bool(set(r.deps.get("vswitchId", ())) & {s.urn for s in graph.of_type(SWITCH)}),
    )


MALWARE_EDITIONS = (3, 5, 6, 7)
"""Security Center editions that detect malware (3 Enterprise, 5 Advanced, 6 Anti-virus, 7
Ultimate); 1, the free one, does not."""


def public_bandwidth(value: Any) -> bool:
    """An instance's ``internetMaxBandwidthOut`` gives it a public address: any but none or 0
    (one the plan cannot read as a number too)."""
    if value in (None, "", 0, "0"):
        return False
    bandwidth = whole(value)
    return bandwidth is None or bandwidth > 0


def _host_security(r: PlanResource) -> HostSecurity:
    p = r.props
    modules = p.get("postPayModuleSwitchObj") or {}
    return HostSecurity(
        provider=PACKAGE,
        protects_new=whole(p.get("postPaidHostAutoBind")) == 1,
        detects_malware=whole(p.get("postPaidHostAutoBindVersion")) in MALWARE_EDITIONS,
        host_protection=whole(modules.get("postHost")) == 1,
        subject=subject(r),
    )


def _node_pool(graph: PlanGraph, r: PlanResource) -> NodePool:
    clusters = {c.urn for c in graph.of_type(CLUSTER)}
    return NodePool(
        name=str(r.props.get("nodePoolName") or r.name),
        provider=PACKAGE,
        zone=tags(r).get(ZONE_TAG),
        availability_zones=_availability_zones(graph, r, "vswitchIds"),
        subject=subject(r),
        # ACK's scaling groups fill vSwitches in order (PRIORITY) unless told to balance them
        balanced=r.props.get("multiAzPolicy") == "BALANCE",
        size=whole(r.props.get("desiredSize")),
        cluster=next((u for u in r.deps.get("clusterId", ()) if u in clusters), None),
    )


def _addon_config(addon: dict[str, Any]) -> dict[str, Any]:
    try:
        config = json.loads(str(addon.get("config") or "{}"))
    except ValueError:
        return {}
    return config if isinstance(config, dict) else {}


def _cluster(graph: PlanGraph, r: PlanResource) -> Cluster:
    addons = [a for a in r.props.get("addons") or [] if isinstance(a, dict) and not a.get("disabled")]
    plugin = next((a for a in addons if a.get("name") in NETWORK_PLUGINS), None)
    return Cluster(
        name=str(r.props.get("name") or r.name),
        provider=PACKAGE,
        network_plugin=str(plugin["name"]) if plugin else None,
        enforces_network_policy=plugin is not None
        and plugin.get("name") == ENFORCING_PLUGIN
        and str(_addon_config(plugin).get("NetworkPolicy")).lower() == "true",
        subject=subject(r),
        pod_availability_zones=_availability_zones(graph, r, "podVswitchIds")
        if plugin is not None and str(plugin.get("name")).startswith("terway")
        else None,
        # ACK gives the API server an internet-facing load balancer unless told not to
        public_api=r.props.get("slbInternetEnabled") is not False,
    )


def facts(graph: PlanGraph) -> Facts:
    """The facts of the plan's Alibaba Cloud resources (Alibaba Cloud lacks no capability)."""
    return Facts(
        clouds=[
            Cloud(
                PACKAGE,
                str(r.props.get("region") or ""),
                mainland(str(r.props.get("region") or "")),
                subject(r),
                ram.assumed_role(r),
            )
            for r in graph.of_type(PROVIDER)
        ],
        trails=[_trail(r) for r in graph.of_type(TRAIL)],
        log_sinks=[_store(graph, r) for r in graph.of_type(STORE)],
        buckets=[_bucket(graph, r) for r in graph.of_type(BUCKET)],
        zones=network.zones(graph),
        boundaries=network.boundaries(graph),
        keys=[_key(r) for r in graph.of_type(KEY)],
        instances=[_instance(graph, r) for r in graph.of_type(INSTANCE)],
        clusters=[_cluster(graph, r) for r in graph.of_type(CLUSTER)],
        node_pools=[_node_pool(graph, r) for r in graph.of_type(NODE_POOL)],
        host_security=[_host_security(r) for r in graph.of_type(SECURITY_CENTER)],
        password_policies=ram.password_policies(graph),
        login_policies=ram.login_policies(graph),
        admin_roles=ram.admin_roles(graph),
        backup_plans=alicloud_backup.backup_plans(graph),
        replications=alicloud_backup.replications(graph),
        flow_logs=network.flow_logs(graph),
        alert_rules=[_alert(r) for r in graph.of_type(ALERT)],
        dedicated_lines=alicloud_lines.dedicated_lines(graph),
        front_doors=alicloud_front.front_doors(graph),
        listeners=alicloud_listeners.listeners(graph),
    )


STORE_INDEX = "alicloud:log/storeIndex:StoreIndex"
ALERT = "alicloud:log/alert:Alert"


def _muted(until: Any) -> bool:
    """Any ``muteUntil`` but 0 mutes (one the plan cannot read as a number too)."""
    return until not in (None, "", 0, "0") and whole(until) != 0


def _alert(r: PlanResource) -> AlertRule:
    p = r.props
    queries = [q for q in p.get("queryLists") or [] if isinstance(q, dict)]
    severities = [s for s in p.get("severityConfigurations") or [] if isinstance(s, dict)]
    return AlertRule(
        name=str(p.get("alertName") or r.name),
        provider=PACKAGE,
        events=tuple(dict.fromkeys(e for q in queries for e in events_of(str(q.get("query") or "")))),
        sources=tuple(
            sink_name(q.get("project") or p.get("projectName"), q.get("store") or q.get("logstore"))
            for q in queries
        ),
        notifies=bool((p.get("policyConfiguration") or {}).get("actionPolicyId")),
        conditioned=any((s.get("evalCondition") or {}).get("condition") for s in severities),
        muted=_muted(p.get("muteUntil")),
        subject=subject(r),
    )
