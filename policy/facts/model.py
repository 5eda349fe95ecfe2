"""The neutral facts the environment policies judge, whatever cloud the plan builds.

An adapter (one module per provider, see :mod:`policy.facts`) reads a plan's resources and
states what they amount to: an audit trail and where it delivers, how long a log sink keeps
records, whether a bucket's retention is locked, which zone has which boundary. A fact names
the plan resource it comes from (:class:`Subject`), so a finding points at it; what a plan
lacks is a finding on the resource that should have carried it (the cloud, the zone, the bucket).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from mlps.required_flows import RequiredFlow
from mlps.roles import every_host
from stacks.capabilities import Capability

if TYPE_CHECKING:
    from policy.facts.boundaries import Boundary, FrontDoor, Listener, Zone
    from policy.policies.base import PlanResource

Lock = Literal["locked", "unlocked", "none"]
"""A bucket's retention: ``locked`` (nobody can shorten or remove it), ``unlocked`` (a WORM policy
that can still be withdrawn or lapses, e.g. OSS ``InProgress`` after 24 hours), ``none``."""
Custody = Literal["customer-hsm", "customer", "provider"]
"""Who holds a key: the customer in a hardware module, the customer in software, the provider."""
SinkKind = Literal["log_store", "bucket"]


@dataclass(frozen=True)
class Subject:
    """The plan resource a fact comes from: its pointer (``type::name``) and URN."""

    pointer: str
    urn: str


def subject(r: PlanResource) -> Subject:
    """The subject a fact read from plan resource ``r`` names."""
    return Subject(r.pointer, r.urn)


OUTSIDE_MAINLAND = ("cn-hongkong",)


def mainland(region: str) -> bool:
    """A mainland China region by the project's region naming (``cn-*`` except Hong Kong), the
    rule CLD-LOC-01's spec rule applies to ``cloud.region`` whatever the provider."""
    return region.startswith("cn-") and region not in OUTSIDE_MAINLAND


@dataclass(frozen=True)
class Cloud:
    """One cloud the plan builds in (a provider configuration): where, and what it lacks."""

    provider: str
    region: str
    mainland: bool
    subject: Subject
    assumed_role: str | None = None
    """The role the provider acts as (a RAM role ARN); None: whatever keys the deploying shell holds."""


@dataclass(frozen=True)
class Gap:
    """A capability ``provider`` lacks (named as in ``stacks.capabilities.CAPABILITIES``) and the
    part of the project that stands in for it: a role (``compensated_by``) run on a cloud host of
    that provider."""

    provider: str
    capability: Capability
    compensated_by: str


@dataclass(frozen=True)
class Destination:
    """Where an audit trail delivers: a log sink or a bucket, by name."""

    kind: SinkKind
    name: str


@dataclass(frozen=True)
class AuditTrail:
    name: str
    provider: str
    enabled: bool
    all_events: bool
    all_regions: bool
    destinations: tuple[Destination, ...]
    subject: Subject


@dataclass(frozen=True)
class LogSink:
    """A managed log store; ``retention_days`` None when the plan leaves it to the provider."""

    name: str
    provider: str
    retention_days: int | None
    encrypted: bool
    subject: Subject
    key: str | None = None
    """The customer key encrypting it (a :class:`Key` id when the plan builds the key, else the key
    as written), None for provider-held encryption."""
    indexed: bool = False
    """Records are indexed for search and analysis."""


@dataclass(frozen=True)
class Bucket:
    """An object store bucket and its effective protection."""

    name: str
    provider: str
    data_class: str | None
    versioning: bool
    lock: Lock
    retention_days: int | None
    """Days of the retention policy (locked or not); None without one."""
    public_access_blocked: bool
    """Public ACLs and policies are refused for this bucket."""
    tls_only: bool
    """A bucket policy refuses every request not made over TLS."""
    access_logging: bool
    encrypted: bool
    key: str | None
    """The customer key encrypting it (a :class:`Key` id), None for provider-held encryption."""
    subject: Subject

    @property
    def kept_days(self) -> int:
        """Days the bucket is guaranteed to keep what it receives (only a locked retention counts)."""
        return (self.retention_days or 0) if self.lock == "locked" else 0


@dataclass(frozen=True)
class Key:
    id: str
    provider: str
    algorithm: str
    custody: Custody
    rotation: bool
    subject: Subject
    purpose: str | None = None
    """What the key was made to encrypt (a ``stacks.providers.base.KeyPurpose``), when it says."""


@dataclass(frozen=True)
class Instance:
    name: str
    provider: str
    zone: str | None
    public_address: bool
    disk_encrypted: bool
    disk_key: str | None
    roles: tuple[str, ...]
    subject: Subject
    availability_zone: str | None = None
    """Where the instance runs; None when the plan leaves it to the cloud's scheduler."""
    image: str | None = None
    """The image it boots, as the plan names it (None: it names none)."""
    placed: bool = True
    """It sits in a network of the plan (a vSwitch, a network or port), not the cloud's default."""


@dataclass(frozen=True)
class HostSecurity:
    """A cloud's host security service: whether it binds every new instance (``protects_new``),
    at an edition that detects malware (``detects_malware``), with host protection on."""

    provider: str
    protects_new: bool
    detects_malware: bool
    host_protection: bool
    subject: Subject


@dataclass(frozen=True)
class NodePool:
    """A managed Kubernetes node pool of one zone and the availability zones its nodes may run in."""

    name: str
    provider: str
    zone: str | None
    availability_zones: tuple[str, ...]
    subject: Subject
    balanced: bool = True
    """Nodes are spread evenly over the availability zones (not filled in order)."""
    size: int | None = None
    """Nodes the pool runs; None when the plan does not say."""
    cluster: str | None = None
    """The :class:`Cluster` (its URN) the pool belongs to, when the plan builds it."""


@dataclass(frozen=True)
class Cluster:
    """A managed Kubernetes cluster and its network plugin: NetworkPolicies are objects nobody
    applies unless the plugin enforces them."""

    name: str
    provider: str
    network_plugin: str | None
    """The plugin the plan installs (e.g. ``terway-eniip``, ``flannel``); None when it names none
    and the provider installs its default."""
    enforces_network_policy: bool
    subject: Subject
    pod_availability_zones: tuple[str, ...] | None = None
    """Availability zones the cluster gives pods addresses in (Terway's pod vSwitches); None when
    pods take no addresses from the cloud network."""
    public_api: bool = False
    """Its API server answers on an internet address."""


@dataclass(frozen=True)
class PasswordPolicy:
    """The password and login failure rules of a cloud's own accounts."""

    provider: str
    min_length: int
    char_classes: int
    """Character classes (lower, upper, digit, symbol) every password must contain."""
    max_age_days: int
    """0: passwords never expire."""
    reuse_prevention: int
    lockout_attempts: int
    """Failed logins before the account locks; 0: never locks."""
    subject: Subject


@dataclass(frozen=True)
class BackupPlan:
    """A backup plan of the cloud's backup service: what it backs up (an instance or a bucket, by
    name), for how many days, whether it runs and how often, and the RPO it must meet."""

    kind: Literal["instance", "bucket"]
    target: str
    provider: str
    retention_days: int | None
    """None when the plan states no whole number of days."""
    subject: Subject
    enabled: bool
    interval_hours: float | None
    """Hours between two runs; None when the plan's schedule repeats at no readable interval."""
    rpo_hours: int | None
    """The spec's ``backup.rpo_hours`` the plan must meet (None: the plan does not say)."""


@dataclass(frozen=True)
class LoginPolicy:
    """How a cloud's own accounts log in to its console."""

    provider: str
    mfa_required: bool
    subject: Subject


@dataclass(frozen=True)
class AdminRole:
    """A group of a cloud's administrators holding one role of 三权分立 (``system``,
    ``security``, ``audit``), the actions its attached policies allow and deny everywhere (``*``:
    everything) and the users in it."""

    role: str
    name: str
    provider: str
    allows: tuple[str, ...]
    denies: tuple[str, ...]
    members: tuple[str, ...]
    subject: Subject


@dataclass(frozen=True)
class Replication:
    """A bucket copied as it is written to another bucket, and the regions of both."""

    source: str
    target: str
    provider: str
    source_region: str
    target_region: str
    subject: Subject
    writes_only: bool
    """Only writes are replicated: a deletion at the source does not reach the target."""
    built_as_copy: bool
    """The plan builds the target as the copy of the source (it says so, ``mlps:copy-of``)."""


@dataclass
class Facts:
    """Everything the adapters found in one plan."""

    clouds: list[Cloud] = field(default_factory=list)
    gaps: list[Gap] = field(default_factory=list)
    trails: list[AuditTrail] = field(default_factory=list)
    log_sinks: list[LogSink] = field(default_factory=list)
    buckets: list[Bucket] = field(default_factory=list)
    zones: list[Zone] = field(default_factory=list)
    boundaries: list[Boundary] = field(default_factory=list)
    keys: list[Key] = field(default_factory=list)
    instances: list[Instance] = field(default_factory=list)
    clusters: list[Cluster] = field(default_factory=list)
    node_pools: list[NodePool] = field(default_factory=list)
    front_doors: list[FrontDoor] = field(default_factory=list)
    listeners: list[Listener] = field(default_factory=list)
    host_security: list[HostSecurity] = field(default_factory=list)
    password_policies: list[PasswordPolicy] = field(default_factory=list)
    login_policies: list[LoginPolicy] = field(default_factory=list)
    admin_roles: list[AdminRole] = field(default_factory=list)
    backup_plans: list[BackupPlan] = field(default_factory=list)
    replications: list[Replication] = field(default_factory=list)
    flow_logs: list[FlowLog] = field(default_factory=list)
    alert_rules: list[AlertRule] = field(default_factory=list)
    dedicated_lines: list[DedicatedLine] = field(default_factory=list)
    required_flows: tuple[RequiredFlow, ...] | None = None
    """What the spec needs through the boundaries (None: the plan's caller did not say)."""
    expected_lines: int | None = None
    """How many dedicated lines the spec ends in the cloud (None: the plan's caller did not say)."""
    approved_images: tuple[str, ...] | None = None
    """The images the spec approves (None: the plan's caller did not say, or the spec lists none)."""

    def extend(self, other: Facts) -> None:
        """Add the facts another adapter found (what the plan's caller said stays)."""
        for name in self.__dataclass_fields__:
            mine = getattr(self, name)
            if isinstance(mine, list):
                mine.extend(getattr(other, name))

    def accounts(self) -> list[Cloud]:
        """The first cloud of each provider: a second configuration of it (another region, e.g.
        for off-site copies) is the same account, judged once."""
        first: dict[str, Cloud] = {}
        for cloud in self.clouds:
            first.setdefault(cloud.provider, cloud)
        return list(first.values())

    def gap(self, provider: str, capability: Capability) -> Gap | None:
        """The gap ``provider`` declares for ``capability`` (None: the provider has it)."""
        return next((g for g in self.gaps if g.provider == provider and g.capability == capability), None)

    def compensated(self, gap: Gap) -> bool:
        """A cloud host of the gap's provider runs the role standing in for the capability (a
        role every host runs, ``mlps.roles.every_host``, on any of them)."""
        everywhere = gap.compensated_by in every_host()
        return any(i.provider == gap.provider and (everywhere or gap.compensated_by in i.roles)
                   for i in self.instances)


MANAGEMENT_EVENTS = (
    "root_login",
    "console_login_failure",
    "ram_change",
    "trail_change",
    "security_group_change",
    "kms_key_change",
    "flow_log_change",
    "log_store_change",
    "instance_start",
)
"""Management events of a cloud that must raise an alarm: the main account signing in, failed
console sign-ins, changes to users, groups, roles, policies and sign-in settings, the audit trail
stopped or changed, firewall rules changed, a key disabled or scheduled for deletion, a flow log
stopped or deleted, a log store or log project deleted, an instance created, started or
re-activated."""
EVENT_CONTROLS: dict[str, str] = {"instance_start": "CLD-VMIDS-02"}
"""The control a missing alarm breaks, where it is not SMC-CEN-07 (8.1.5.4 f): new or re-enabled
virtual machines, GB/T 22239-2019 8.2.4.3 b."""


@dataclass(frozen=True)
class FlowLog:
    """A record of the traffic of the named zones, delivered to a log sink (``sink``, None when
    the plan names none)."""

    name: str
    provider: str
    zones: tuple[str, ...]
    all_traffic: bool
    """Accepted and dropped traffic alike."""
    active: bool
    sink: str | None
    subject: Subject


@dataclass(frozen=True)
class AlertRule:
    """An alert over log sinks ``sources`` whose queries select ``events`` (of
    :data:`MANAGEMENT_EVENTS`); ``notifies`` when it routes to a notification (an action policy
    the hospital keeps, not one the plan builds), ``conditioned`` when a severity condition makes
    it fire, ``muted`` when its notifications are silenced until some time."""

    name: str
    provider: str
    events: tuple[str, ...]
    sources: tuple[str, ...]
    notifies: bool
    conditioned: bool
    muted: bool
    subject: Subject


@dataclass(frozen=True)
class DedicatedLine:
    """The cloud end of a dedicated line to the hospital: the carrier's circuit, whether its border
    router runs BGP with the hospital's edge, how fast BFD detects a failure (interval × multiplier,
    None without BFD), whether the cloud health-checks it and whether the border router is
    attached to the transit router joining it to the environment's network."""

    name: str
    provider: str
    carrier: str
    bgp: bool
    bfd_ms: int | None
    health_check: bool
    attached: bool
    subject: Subject
