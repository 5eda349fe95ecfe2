"""The listeners of an Alibaba Cloud plan's internet-facing load balancers as neutral facts.

A balancer's listeners are those of the ``AlbConfig`` naming it (``spec.config.id``; the ALB
Ingress controller builds them). Each forwards to the target ports of the Services that the
Ingresses of that config's ``IngressClass`` route to on that listener's port
(``alb.ingress.kubernetes.io/listen-ports``, HTTP 80 without it); an HTTP listener answers the
requests of an Ingress with ``alb.ingress.kubernetes.io/ssl-redirect`` itself, redirecting them
to HTTPS. The balancer sends from its addresses in the vSwitches of its ``zoneMappings`` to the
zone's vSwitches and to Terway's pod vSwitches (tag ``mlps:pods``; pods take VPC addresses),
over TCP whatever the listener's protocol. Its own interfaces are guarded by every security group
a ``LoadBalancerSecurityGroupAttachment`` gives it (by id where the plan builds no such group).

A listener's ``aclConfig`` limits who it hears: a whitelist (``aclType: White``) only its
entries, a blacklist everyone but them (with no entry, everyone). Entries are IPv4 ranges
written in the config (``aclEntries``) or held by ACLs the config names (``aclIds``): those the
plan builds and the config depends on, with their entries and entry attachments, where only one
listener of the config names ACLs (the config's dependencies do not say which listener's they
are). An ACL the plan does not build, a type or entry that cannot be read, and an empty
whitelist (the balancer's documentation and its provider's disagree on it) leave whom the
listener hears unknown.
"""

from __future__ import annotations

import ipaddress
import json
from typing import TYPE_CHECKING, Any

from policy.facts import alicloud
from policy.facts.alicloud_front import ALB, FRONT_TAG
from policy.facts.boundaries import Listener
from policy.facts.model import subject
from policy.facts.values import listed, port_number

if TYPE_CHECKING:
    from policy.policies.base import PlanGraph, PlanResource

GROUP_ATTACHMENT = "alicloud:alb/loadBalancerSecurityGroupAttachment:LoadBalancerSecurityGroupAttachment"
ALB_CONFIG = "kubernetes:alibabacloud.com/v1:AlbConfig"
INGRESS_CLASS = "kubernetes:networking.k8s.io/v1:IngressClass"
INGRESS = "kubernetes:networking.k8s.io/v1:Ingress"
SERVICE = "kubernetes:core/v1:Service"
LISTEN_PORTS = "alb.ingress.kubernetes.io/listen-ports"
SSL_REDIRECT = "alb.ingress.kubernetes.io/ssl-redirect"
ACL = "alicloud:alb/acl:Acl"
ACL_ENTRY = "alicloud:alb/aclEntryAttachment:AclEntryAttachment"
ANYWHERE = ("0.0.0.0/0",)


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _meta(r: PlanResource, key: str) -> Any:
    return _dict(r.props.get("metadata")).get(key)


def _listen_ports(ingress: PlanResource) -> set[int]:
    """The listener ports an Ingress asks for (HTTP 80 without the annotation)."""
    try:
        asked = json.loads(_dict(_meta(ingress, "annotations")).get(LISTEN_PORTS) or '[{"HTTP": 80}]')
    except (TypeError, ValueError):
        return set()
    return {p for entry in listed(asked) for p in map(port_number, _dict(entry).values()) if p is not None}


def _target(service: PlanResource | None, asked: dict[str, Any]) -> int | None:
    """The target port of the Service port an Ingress backend names (None: unresolved)."""
    if service is None:
        return None
    number, name = port_number(asked.get("number")), asked.get("name")
    for entry in map(_dict, listed(_dict(service.props.get("spec")).get("ports"))):
        if (number is not None and entry.get("port") == number) or \
                (number is None and name is not None and entry.get("name") == name):
            return port_number(entry.get("targetPort", entry.get("port")))
    return None


def _target_ports(graph: PlanGraph, ingress: PlanResource) -> set[int] | None:
    """The target ports of the Services an Ingress routes to (None: one the plan cannot resolve)."""
    spec = _dict(ingress.props.get("spec"))
    namespace = _meta(ingress, "namespace") or "default"
    backends = [_dict(spec.get("defaultBackend"))] if spec.get("defaultBackend") else []
    for rule in map(_dict, listed(spec.get("rules"))):
        paths = listed(_dict(rule.get("http")).get("paths"))
        backends += [_dict(_dict(path).get("backend")) for path in paths]
    services = {(_meta(s, "namespace") or "default", _meta(s, "name")): s for s in graph.of_type(SERVICE)}
    found: set[int] = set()
    for backend in backends:
        wanted = _dict(backend.get("service"))
        target = _target(services.get((namespace, wanted.get("name"))), _dict(wanted.get("port")))
        if target is None:
            return None
        found.add(target)
    return found


def _backends(graph: PlanGraph, config: PlanResource, port: int,
              http: bool) -> tuple[tuple[int, ...] | None, bool]:
    """The target ports the listener on ``port`` forwards to (None: one the plan cannot resolve),
    and whether it redirects an Ingress's requests to HTTPS instead."""
    name = _meta(config, "name")
    classes = set()
    for c in graph.of_type(INGRESS_CLASS):
        parameters = _dict(_dict(c.props.get("spec")).get("parameters"))
        if parameters.get("kind") == "AlbConfig" and parameters.get("name") == name:
            classes.add(_meta(c, "name"))
    found: set[int] = set()
    redirects = False
    for ingress in graph.of_type(INGRESS):
        if _dict(ingress.props.get("spec")).get("ingressClassName") not in classes \
                or port not in _listen_ports(ingress):
            continue
        if http and str(_dict(_meta(ingress, "annotations")).get(SSL_REDIRECT)).lower() == "true":
            redirects = True
            continue
        targets = _target_ports(graph, ingress)
        if targets is None:
            return None, redirects
        found |= targets
    return tuple(sorted(found)), redirects


def _entries(values: list[Any]) -> list[str] | None:
    """ACL entries written as IPv4 ranges or as ``{entry: range}`` (None: one cannot be read as
    an IPv4 range, the only kind an ALB ACL holds)."""
    found = []
    for value in values:
        entry = value.get("entry") if isinstance(value, dict) else value
        if not isinstance(entry, str):
            return None
        try:
            ipaddress.IPv4Network(entry, strict=False)
        except ValueError:
            return None
        found.append(entry)
    return found


def _acl_entries(graph: PlanGraph, config: PlanResource, ids: list[Any], sole: bool) -> list[str] | None:
    """The entries of the ACLs ``ids`` names: the plan's ACLs the config depends on, as many as
    it names, where this listener is the only one of the config naming ACLs (None: the plan does
    not build them all, or cannot tell which listener's they are, or an entry cannot be read)."""
    acls = [a for a in graph.of_type(ACL) if a.urn in config.deps.get("spec", ())]
    if not ids or not sole or len(acls) != len(ids):
        return None
    found: list[str] = []
    for acl in acls:
        written = _entries(listed(acl.props.get("aclEntries")))
        attached = _entries([a.props.get("entry") for a in graph.referencing(ACL_ENTRY, "aclId", acl)])
        if written is None or attached is None:
            return None
        found += written + attached
    return found


def _naming_acls(config: PlanResource) -> int:
    """How many listeners of the config name ACLs by id."""
    return sum(1 for entry in map(_dict, listed(_dict(config.props.get("spec")).get("listeners")))
               if _dict(entry.get("aclConfig")).get("aclIds") is not None)


def _access(graph: PlanGraph, config: PlanResource,
            listener: dict[str, Any]) -> tuple[tuple[str, ...] | None, tuple[str, ...]]:
    """Whom a listener hears and whom its blacklist refuses (None: the plan does not say). An
    empty whitelist is not judged: the balancer's pages say it then admits everyone, the
    provider's that it admits no one."""
    acl = listener.get("aclConfig")
    if acl in (None, {}):
        return ANYWHERE, ()
    kind = str(_dict(acl).get("aclType") or "").lower()
    if kind not in ("white", "black"):
        return None, ()
    ids = _dict(acl).get("aclIds")
    entries = (_acl_entries(graph, config, listed(ids), _naming_acls(config) == 1) if ids is not None
               else _entries(listed(_dict(acl).get("aclEntries"))))
    if entries is None or (not entries and kind == "white"):
        return None, ()
    return (tuple(entries), ()) if kind == "white" else (ANYWHERE, tuple(entries))


def _ranges(switches: list[PlanResource]) -> tuple[str, ...]:
    return tuple(sorted({str(s.props["cidrBlock"]) for s in switches if s.props.get("cidrBlock")}))


def _groups(graph: PlanGraph, alb: PlanResource) -> tuple[str, ...]:
    found: list[str] = []
    for a in graph.referencing(GROUP_ATTACHMENT, "loadBalancerId", alb):
        named = a.deps.get("securityGroupId", ())
        found += named or [str(a.props.get("securityGroupId") or "(a group the plan does not name)")]
    return tuple(dict.fromkeys(found))


def listeners(graph: PlanGraph) -> list[Listener]:
    """The listeners of every internet-facing load balancer of the plan."""
    switches = list(graph.of_type(alicloud.SWITCH))
    pods = _ranges([s for s in switches if alicloud.POD_TAG in alicloud.tags(s)])
    found = []
    for alb in graph.of_type(ALB):
        if "Internet" not in (alb.props.get("addressType"), alb.props.get("ipv6AddressType")):
            continue
        zone = str(alicloud.tags(alb).get(FRONT_TAG) or "")
        parts = _ranges([s for s in switches if alicloud.tags(s).get(alicloud.ZONE_TAG) == zone])
        own = _ranges([s for s in switches if s.urn in alb.deps.get("zoneMappings", ())])
        for config in graph.referencing(ALB_CONFIG, "spec", alb):
            for entry in map(_dict, listed(_dict(config.props.get("spec")).get("listeners"))):
                port = port_number(entry.get("port"))
                if port is None:
                    continue
                protocol = str(entry.get("protocol")).upper()
                backends, redirects = _backends(graph, config, port, protocol == "HTTP")
                sources, refused = _access(graph, config, entry)
                found.append(Listener(
                    balancer=str(alb.props.get("loadBalancerName") or alb.name),
                    provider=alicloud.PACKAGE,
                    zone=zone,
                    protocol="udp" if protocol == "QUIC" else "tcp",
                    port=port,
                    sources=sources,
                    refused=refused,
                    backends=backends,
                    groups=_groups(graph, alb),
                    addresses=own or parts,
                    targets=parts + pods,
                    subject=subject(config),
                    redirects=redirects,
                ))
    return found
