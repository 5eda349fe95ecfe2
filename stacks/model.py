"""Typed view of the environment spec that the stack program builds from.

The spec arrives as a plain dict (``mlps:environment``); this module turns the parts the
layouts need into frozen dataclasses with the schema's defaults filled in, so that the
components take typed arguments and never look into raw dicts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mlps.retention import LOG_MIN_DAYS
from stacks.capabilities import own_storage

DEFAULT_IMAGE = "debian_12_9_x64_20G_alibase_20250117.vhd"
"""The schema's default ``cloud.approved_images`` entry."""

Secret = str | dict[str, Any] | None
"""A spec secret as it arrives: plaintext (decrypted by the engine), ``{"secure": …}`` or
``{"generated": true}``."""


@dataclass(frozen=True)
class Flow:
    source: str
    ports: tuple[int, ...]
    protocol: str = "tcp"
    description: str = ""


@dataclass(frozen=True)
class Zone:
    name: str
    kind: str
    placement: str
    cidr: str
    ingress: tuple[Flow, ...] = ()
    description: str = ""


@dataclass(frozen=True)
class Host:
    name: str
    zone: str
    address: str
    os: str = "debian12"
    roles: tuple[str, ...] = ()


@dataclass(frozen=True)
class Bucket:
    name: str
    data_class: str
    placement: str
    versioning: bool = True
    lock_mode: str = "COMPLIANCE"
    lock_days: int = 10950
    encryption: str = "sse-s3"
    replicas: int = 2


@dataclass(frozen=True)
class Workload:
    name: str
    kind: str
    data_class: str
    placement: str
    zone: str
    image: str
    port: int = 8080
    replicas: int = 2
    tls: bool = True
    bucket: str | None = None


@dataclass(frozen=True)
class Link:
    name: str
    carrier: str
    role: str
    up_mbps: int
    down_mbps: int
    bfd_enabled: bool = True
    bfd_interval_ms: int = 300
    bfd_multiplier: int = 3
    local_asn: int | None = None
    peer_asn: int | None = None
    password: Secret = None


@dataclass(frozen=True)
class Kubernetes:
    enabled: bool = True
    distribution: str = "kubeadm"
    version: str = "1.31"
    pod_security: str = "restricted"
    network_policy: str = "default-deny"
    audit_log: bool = True


@dataclass(frozen=True)
class Cloud:
    provider: str = "alicloud"
    region: str = ""
    audit_trail: bool = True
    kms: bool = True
    approved_images: tuple[str, ...] = ()
    deploy_role_arn: str | None = None
    """The role the stack assumes to deploy (``acs:ram::<account>:role/<name>``); None: ambient keys."""
    key_algorithm: str = "aes-256"
    """``aes-256`` or ``sm4`` (national algorithm, for the commercial cryptography assessment)."""
    availability_zones: tuple[str, ...] = ()
    """The region's availability zones the zones are spread over (``mlps.availability``); empty:
    one, chosen by the provider."""


@dataclass(frozen=True)
class Passwords:
    """The spec's password quality and login failure handling (``baseline.password``, ``.lockout``)."""

    min_length: int = 12
    min_classes: int = 3
    max_age_days: int = 90
    history: int = 5
    lockout_attempts: int = 5


@dataclass(frozen=True)
class Admin:
    """One named administrator of ``admins[]`` and the role of 三权分立 they hold."""

    name: str
    role: str


@dataclass(frozen=True)
class Backup:
    """The spec's ``backup``: local and off-site copies and how long they are kept."""

    local: bool = True
    offsite: bool = True
    offsite_region: str | None = None
    offsite_site: str = ""
    rpo_hours: int = 24
    retention_days: int = 180


@dataclass(frozen=True)
class Environment:
    """Everything a layout needs, with defaults applied."""

    name: str
    level: int
    layout: str
    zones: tuple[Zone, ...]
    hosts: tuple[Host, ...] = ()
    buckets: tuple[Bucket, ...] = ()
    workloads: tuple[Workload, ...] = ()
    links: tuple[Link, ...] = ()
    kubernetes: Kubernetes = field(default_factory=Kubernetes)
    cloud: Cloud | None = None
    log_retention_days: int = LOG_MIN_DAYS
    log_transport: str = "relp-tls"
    storage_tls: bool = True
    storage_key: Secret = None
    hold_down_seconds: int = 10
    announced_prefixes: tuple[str, ...] = ()
    passwords: Passwords = field(default_factory=Passwords)
    admins: tuple[Admin, ...] = ()
    backup: Backup = field(default_factory=Backup)
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def zone(self, name: str) -> Zone:
        for zone in self.zones:
            if zone.name == name:
                return zone
        raise KeyError(name)

    def zones_at(self, placement: str) -> tuple[Zone, ...]:
        return tuple(z for z in self.zones if z.placement == placement)

    def hosts_with(self, role: str) -> tuple[Host, ...]:
        return tuple(h for h in self.hosts if role in h.roles)

    def hosts_at(self, placement: str) -> tuple[Host, ...]:
        where = {z.name for z in self.zones_at(placement)}
        return tuple(h for h in self.hosts if h.zone in where)

    def bucket(self, name: str) -> Bucket | None:
        return next((b for b in self.buckets if b.name == name), None)

    def local_s3_workloads(self) -> tuple[Workload, ...]:
        """Workloads with a bucket on the hospital's own object store: one S3 identity each
        (on-prem workloads, and cloud workloads whose bucket the object_storage role keeps)."""
        if not self.hosts_with("object_storage"):
            return ()

        def local(w: Workload) -> bool:
            if w.bucket is None:
                return False
            bucket = self.bucket(w.bucket)
            return w.placement == "onprem" or (bucket is not None and own_storage(self, bucket))

        return tuple(w for w in self.workloads if local(w))


def _flow(d: dict[str, Any]) -> Flow:
    return Flow(
        source=d["from"],
        ports=tuple(d["ports"]),
        protocol=d.get("protocol", "tcp"),
        description=d.get("description", ""),
    )


def _bucket(d: dict[str, Any]) -> Bucket:
    lock = d.get("object_lock", {})
    return Bucket(
        name=d["name"],
        data_class=d["data_class"],
        placement=d.get("placement", "onprem"),
        versioning=d.get("versioning", True),
        lock_mode=lock.get("mode", "COMPLIANCE"),
        lock_days=lock.get("retention_days", 10950),
        encryption=d.get("encryption", "sse-s3"),
        replicas=d.get("replicas", 2),
    )


def _link(d: dict[str, Any]) -> Link:
    bfd = d.get("bfd", {})
    bgp = d.get("bgp", {})
    bandwidth = d["bandwidth_mbps"]
    return Link(
        name=d["name"],
        carrier=d["carrier"],
        role=d["role"],
        up_mbps=bandwidth["up"],
        down_mbps=bandwidth["down"],
        bfd_enabled=bfd.get("enabled", True),
        bfd_interval_ms=bfd.get("interval_ms", 300),
        bfd_multiplier=bfd.get("multiplier", 3),
        local_asn=bgp.get("local_asn"),
        peer_asn=bgp.get("peer_asn"),
        password=bgp.get("password"),
    )


def _workload(d: dict[str, Any]) -> Workload:
    return Workload(
        name=d["name"],
        kind=d.get("kind", "other"),
        data_class=d["data_class"],
        placement=d["placement"],
        zone=d["zone"],
        image=d.get("image", ""),
        port=d.get("port", 8080),
        replicas=d.get("replicas", 2),
        tls=d.get("tls", True),
        bucket=d.get("bucket"),
    )


def _passwords(baseline: dict[str, Any]) -> Passwords:
    password = baseline.get("password", {})
    return Passwords(
        min_length=password.get("min_length", 12),
        min_classes=password.get("min_classes", 3),
        max_age_days=password.get("max_age_days", 90),
        history=password.get("history", 5),
        lockout_attempts=baseline.get("lockout", {}).get("attempts", 5),
    )


def _backup(d: dict[str, Any]) -> Backup:
    local = d.get("local", {})
    offsite = d.get("offsite", {})
    return Backup(
        local=local.get("enabled", True),
        offsite=offsite.get("enabled", True),
        offsite_region=offsite.get("region"),
        offsite_site=offsite.get("site", ""),
        rpo_hours=d.get("rpo_hours", 24),
        retention_days=d.get("retention_days", 180),
    )


def environment(data: dict[str, Any]) -> Environment:
    """Build the typed view of one spec (``LoadedSpec.data``)."""
    k8s = data.get("kubernetes", {})
    cloud = data.get("cloud")
    storage = data.get("object_storage", {})
    logs = data.get("log_audit", {})
    failover = data.get("link_failover", {})
    return Environment(
        name=data["name"],
        level=int(data["level"]),
        layout=data["layout"],
        zones=tuple(
            Zone(
                name=z["name"],
                kind=z["kind"],
                placement=z["placement"],
                cidr=z["cidr"],
                ingress=tuple(_flow(f) for f in z.get("ingress", [])),
                description=z.get("description", ""),
            )
            for z in data["zones"]
        ),
        hosts=tuple(
            Host(
                name=h["name"],
                zone=h["zone"],
                address=h["address"],
                os=h.get("os", "debian12"),
                roles=tuple(h.get("roles", [])),
            )
            for h in data.get("hosts", [])
        ),
        buckets=tuple(_bucket(b) for b in storage.get("buckets", [])),
        workloads=tuple(_workload(w) for w in data.get("workloads", [])),
        links=tuple(_link(link) for link in data.get("links", [])),
        kubernetes=Kubernetes(
            enabled=k8s.get("enabled", "kubernetes" in data),
            distribution=k8s.get("distribution", "kubeadm"),
            version=k8s.get("version", "1.31"),
            pod_security=k8s.get("pod_security", "restricted"),
            network_policy=k8s.get("network_policy", "default-deny"),
            audit_log=k8s.get("audit_log", True),
        ),
        cloud=Cloud(
            provider=cloud.get("provider", "alicloud"),
            region=cloud["region"],
            audit_trail=cloud.get("audit_trail", True),
            kms=cloud.get("kms", True),
            approved_images=tuple(cloud.get("approved_images", [DEFAULT_IMAGE])),
            deploy_role_arn=cloud.get("deploy_role_arn"),
            key_algorithm=cloud.get("key_algorithm", "aes-256"),
            availability_zones=tuple(cloud.get("availability_zones", ())),
        )
        if cloud
        else None,
        log_retention_days=logs.get("retention_days", LOG_MIN_DAYS),
        log_transport=logs.get("transport", "relp-tls"),
        storage_tls=storage.get("tls", True),
        storage_key=storage.get("encryption_key"),
        hold_down_seconds=failover.get("hold_down_seconds", 10),
        announced_prefixes=tuple(failover.get("prefixes", [])),
        passwords=_passwords(data.get("baseline", {})),
        admins=tuple(Admin(name=a["name"], role=a["role"]) for a in data.get("admins", [])),
        backup=_backup(data.get("backup", {})),
        raw=data,
    )
