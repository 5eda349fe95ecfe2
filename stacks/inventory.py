"""The Ansible inventory generated from the spec (no secrets: those travel as secret vars).

Every string in it is tagged ``!unsafe``: spec text is data, so Ansible never templates it
(a spec string such as ``{{ lookup('pipe', …) }}`` stays a string and runs nothing).
"""

from __future__ import annotations

import copy
from typing import Any

import yaml

from mlps.normalise import fold, normal_address
from mlps.roles import every_host, service
from mlps.roles import names as role_names
from stacks.capabilities import own_storage
from stacks.components.audit_policy import AUDIT_LOG_PATH, AUDIT_POLICY_PATH, render_audit_policy
from stacks.known_hosts import CONNECTION_VARS
from stacks.model import Environment
from stacks.spec_variables import carried_vars, with_defaults

UNSAFE_TAG = "!unsafe"

EVERY_HOST = every_host()
ROLE_ORDER = role_names()
_SECRET_PATHS = (("object_storage", "encryption_key"),)


def public_spec(env: Environment) -> dict[str, Any]:
    """The spec without any secret value, for roles that read it whole."""
    data = copy.deepcopy(env.raw)
    for section, key in _SECRET_PATHS:
        data.get(section, {}).pop(key, None)
    for link in data.get("links", []):
        link.get("bgp", {}).pop("password", None)
    return data


def _baseline_vars(env: Environment) -> dict[str, Any]:
    """The baseline role's variables that the spec's fields do not carry one to one: the level
    and (CES-ACL-01 / CES-ACL-04) the named administrators, public keys only (the TOTP secrets
    are made on the bastion and never leave it)."""
    return {
        "baseline_level": env.level,
        "baseline_admins": [
            {k: a[k] for k in ("name", "role", "ssh_public_key", "full_name") if k in a}
            for a in env.raw.get("admins", [])
        ],
    }


def _s3_clients(env: Environment) -> list[str]:
    """ABS-ACL-01: the networks of the zones whose spec flows reach the storage hosts' zones on
    the S3 port (the object storage's own table admits these besides its own zone). A flow from
    the internet is not among them: the store never serves S3 to the outside."""
    port = service("object_storage", "s3").port
    stores = {h.zone for h in env.hosts_with("object_storage")}
    by_name = {z.name: z for z in env.zones}
    nets = {
        by_name[flow.source].cidr
        for zone in env.zones if zone.name in stores
        for flow in zone.ingress
        if flow.protocol == "tcp" and port in flow.ports and flow.source in by_name
        and flow.source not in stores
    }
    return sorted(nets)


def _identities(env: Environment) -> list[dict[str, Any]]:
    """One least-privilege S3 identity per workload with a bucket on the local store; its keys
    arrive as the secret variable object_storage_identity_keys under the same name."""
    return [
        {"name": w.name, "grants": [{"bucket": w.bucket, "access": "readwrite"}]}
        for w in env.local_s3_workloads()
    ]


BFD_PROFILES = {(300, 3): "standard", (100, 3): "fast"}
"""The link_failover role's named BFD profiles: (interval in ms, multiplier) -> name."""


def _link_failover_vars(env: Environment) -> dict[str, Any]:
    """What the spec says of the lines in the variables the link_failover role reads.

    Interfaces, addresses and the far edge of each line are site facts the spec does not hold:
    ``link_failover_peerings`` and ``link_failover_accept_prefixes`` come from host_vars
    (docs/link-failover.md). The BFD timers and local ASN are set here when every line agrees;
    lines that differ carry their own in their peering (``bfd_interval_ms``, ``bfd_multiplier``).
    """
    out: dict[str, Any] = {"link_failover_hold_down_seconds": env.hold_down_seconds}
    if env.announced_prefixes:
        out["link_failover_announce_prefixes"] = list(env.announced_prefixes)
    timers = {(link.bfd_interval_ms, link.bfd_multiplier) for link in env.links}
    if len(timers) == 1:
        interval, multiplier = timers.pop()
        profile = BFD_PROFILES.get((interval, multiplier), "custom")
        out["link_failover_bfd_profile"] = profile
        if profile == "custom":
            out["link_failover_bfd_interval_ms"] = interval
            out["link_failover_bfd_multiplier"] = multiplier
    asns = {link.local_asn for link in env.links if link.local_asn is not None}
    if len(asns) == 1:
        out["link_failover_local_asn"] = asns.pop()
    return out


def role_vars(env: Environment) -> dict[str, dict[str, Any]]:
    """Each role's variables from the spec (role name -> variables)."""
    # The name each audit server's certificate carries is its inventory name (mlps pki).
    servers = [{"host": h.address, "name": h.name} for h in env.hosts_with("log_audit_server")]
    derived: dict[str, dict[str, Any]] = {
        "baseline": _baseline_vars(env),
        "log_forwarder": {"log_forwarder_servers": servers},
        "log_audit_server": {"log_audit_server_retention_days": env.log_retention_days},
        "link_failover": _link_failover_vars(env),
        "object_storage": {
            "object_storage_buckets": [
                {
                    "name": b.name,
                    "data_class": b.data_class,
                    "placement": b.placement,
                    "versioning": b.versioning,
                    "object_lock": {"mode": b.lock_mode, "retention_days": b.lock_days},
                    "encryption": b.encryption,
                    "replicas": b.replicas,
                }
                for b in env.buckets
                if own_storage(env, b)
            ],
            "object_storage_identities": _identities(env),
            "object_storage_s3_allowed_cidrs": _s3_clients(env),
        },
        "k8s_control_plane": {
            "k8s_control_plane_audit_policy": render_audit_policy(),
            "k8s_control_plane_audit_policy_path": AUDIT_POLICY_PATH,
            "k8s_control_plane_audit_log_path": AUDIT_LOG_PATH,
            "k8s_control_plane_version": env.kubernetes.version,
        },
    }
    for role, variables in carried_vars(with_defaults(env.raw)).items():
        derived.setdefault(role, {}).update(variables)
    return derived


class DuplicateHost(ValueError):
    """Two hosts of the spec are one machine by name or address (CNS-ZONE-01)."""


def _refuse_duplicates(env: Environment) -> None:
    """Raise DuplicateHost rather than merge or drop an entry keyed by a repeated name."""
    names: dict[str, int] = {}
    addresses: dict[str, int] = {}
    for i, host in enumerate(env.hosts):
        for seen, key, field in ((names, fold(host.name), "name"),
                                 (addresses, normal_address(host.address), "address")):
            first = seen.setdefault(key, i)
            if first != i:
                raise DuplicateHost(
                    f"/hosts/{i}/{field} repeats /hosts/{first}/{field} ({getattr(host, field)}): "
                    "give each host its own name and address (CNS-ZONE-01)")


def inventory(env: Environment) -> dict[str, Any]:
    """Groups per role (baseline and log_forwarder on every host) and per zone; a host whose
    name or address repeats another's is refused, never merged."""
    _refuse_duplicates(env)
    roles: dict[str, dict[str, Any]] = {role: {} for role in ROLE_ORDER}
    zones: dict[str, dict[str, Any]] = {}
    hosts: dict[str, Any] = {}
    for host in env.hosts:
        hosts[host.name] = {
            "ansible_host": host.address,
            # The host's own address in its zone: what the roles put in firewall rules, bind
            # to and tell peers. A lab connects over another network and changes ansible_host
            # alone.
            "mlps_address": host.address,
            "mlps_zone": host.zone,
            "mlps_os": host.os,
        }
        for role in (*EVERY_HOST, *host.roles):
            roles.setdefault(role, {})[host.name] = None
        zones.setdefault(f"zone_{host.zone.replace('-', '_')}", {})[host.name] = None
    variables = role_vars(env)
    children: dict[str, Any] = {}
    for role, members in roles.items():
        if members:
            # Every role verifies against the environment's level (its <role>_level).
            group_vars = {f"{role}_level": env.level, **variables.get(role, {})}
            children[role] = {"hosts": members, "vars": group_vars}
    for group, members in zones.items():
        children[group] = {"hosts": members}
    return {
        "all": {
            "hosts": hosts,
            "vars": {
                "mlps_environment": env.name,
                "mlps_level": env.level,
                "mlps_spec": public_spec(env),
            },
            "children": children,
        }
    }


class Unsafe(str):
    """A string Ansible must never template (written with the ``!unsafe`` tag)."""


class _Dumper(yaml.SafeDumper):
    pass


class _Loader(yaml.SafeLoader):
    pass


def _construct_unsafe(loader: yaml.SafeLoader, node: yaml.Node) -> Unsafe:
    if not isinstance(node, yaml.ScalarNode):
        raise yaml.constructor.ConstructorError(
            None, None, f"{UNSAFE_TAG} tags a string only", node.start_mark
        )
    return Unsafe(loader.construct_scalar(node))


_STR = "tag:yaml.org,2002:str"
_TEMPLATE_MARKS = ("{{", "{%", "{#")


def _represent_unsafe(dumper: yaml.SafeDumper, value: Unsafe) -> yaml.ScalarNode:
    """``!unsafe`` text, except text that plain YAML reads as another type ('no', '1.30', '0644',
    'null'): Ansible resolves a ``!unsafe`` scalar as if it were plain whatever its quotes, so
    such text would reach the roles as False, 1.3, 420 or None. It is written as a quoted string
    instead; text of that shape holds no template delimiter, so Ansible has nothing to run."""
    text = str(value)
    plain_tag = dumper.resolve(yaml.ScalarNode, text, (True, False))  # type: ignore[no-untyped-call]
    if plain_tag != _STR and not any(
            mark in text for mark in _TEMPLATE_MARKS):
        return dumper.represent_scalar(_STR, text, style="'")
    return dumper.represent_scalar(UNSAFE_TAG, text)


_Dumper.add_representer(Unsafe, _represent_unsafe)
_Loader.add_constructor(UNSAFE_TAG, _construct_unsafe)


def mark_unsafe(data: Any) -> Any:
    """``data`` with every string value (not mapping keys) an :class:`Unsafe`."""
    if isinstance(data, str):
        return Unsafe(data)
    if isinstance(data, dict):
        return {key: mark_unsafe(value) for key, value in data.items()}
    if isinstance(data, list | tuple):
        return [mark_unsafe(item) for item in data]
    return data


def dump_inventory(data: Any) -> str:
    """YAML text with :class:`Unsafe` strings tagged ``!unsafe``, keys sorted (stable bytes)."""
    return yaml.dump(data, Dumper=_Dumper, sort_keys=True, allow_unicode=True, width=100)


def load_inventory(text: str) -> Any:
    """Read an inventory written by :func:`dump_inventory`; ``!unsafe`` strings stay Unsafe."""
    return yaml.load(text, Loader=_Loader)  # noqa: S506 - a SafeLoader with one added tag


def render_inventory(env: Environment) -> str:
    """Inventory YAML, every string ``!unsafe``, keys sorted so that the text is stable."""
    data = mark_unsafe(inventory(env))
    data["all"]["vars"].update(CONNECTION_VARS)  # strict host keys: stacks/known_hosts.py
    return dump_inventory(data)
