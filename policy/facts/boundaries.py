"""The neutral facts about where traffic may go: zones, the boundaries guarding them and their
rules, the front doors taking the internet's traffic and the balancers' listeners behind them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from policy.facts.model import Subject

EdgeRule = tuple[str, str, int, int]
"""One inbound rule of a firewall at the internet boundary that applies to every source and to
one public address, in the order the firewall tries them: its action (``accept``, ``drop``, or
``unordered`` where the plan does not say its place), protocol (``tcp``, ``udp``, ``all``) and
first and last port."""


@dataclass(frozen=True)
class FirewallRule:
    """One rule of a boundary. ``cidr`` is the peer: a network, ``self`` (the boundary's own
    members) or empty (another group's members: ``group`` names that group, a load balancer's).
    Of the rules matching a packet, those of the lowest ``priority`` number decide, a drop before
    an accept."""

    direction: Literal["ingress", "egress"]
    action: Literal["accept", "drop"]
    protocol: str
    ports: tuple[int, int]
    cidr: str
    priority: int = 1
    group: str = ""
    """The other group a rule names instead of a range (its URN); empty otherwise."""


@dataclass(frozen=True)
class Zone:
    """A network zone as the plan builds it (a subnet)."""

    name: str
    provider: str
    cidr: str
    subject: Subject
    availability_zone: str | None = None
    """The one availability zone the subnet lies in; None where a subnet spans them (OpenStack)."""


@dataclass(frozen=True)
class Boundary:
    """The firewall guarding one zone (``zone`` empty: a group guarding something else, such as a
    load balancer's own interfaces)."""

    zone: str
    provider: str
    deny_ingress: bool
    """Inbound traffic not allowed by a rule is dropped."""
    deny_egress: bool
    """Outbound traffic not allowed by a rule is dropped."""
    isolates_members: bool
    """Members of the zone do not reach each other unless a rule allows it."""
    rules: tuple[FirewallRule, ...]
    subject: Subject
    group: str = ""
    """The group's identity (its URN), as rules of other groups name it."""

    @property
    def default_deny(self) -> bool:
        return self.deny_ingress and self.deny_egress and self.isolates_members


@dataclass(frozen=True)
class FrontDoor:
    """A load balancer taking a zone's traffic from the internet: whether a web application
    firewall inspects its requests, where its access logs go (a log sink's name, None: nowhere),
    and which of its public addresses a firewall at the internet boundary guards with a
    default-deny rule set (``unguarded``: the rest)."""

    name: str
    provider: str
    zone: str
    inspects_requests: bool
    access_log: str | None
    unguarded: tuple[str, ...]
    subject: Subject
    edge: tuple[tuple[EdgeRule, ...], ...] | None = None
    """Per guarded public address, that firewall's rules for it, first tried first (a packet no
    rule matches passes); None where no firewall at the internet boundary guards the balancer."""


@dataclass(frozen=True)
class Listener:
    """A port a load balancer takes traffic on for ``zone`` and where it sends it."""

    balancer: str
    provider: str
    zone: str
    protocol: str
    port: int
    sources: tuple[str, ...] | None
    """The ranges it accepts connections from (``0.0.0.0/0``: anywhere; None: the plan does not
    say)."""
    backends: tuple[int, ...] | None
    """The ports it forwards to (None: the plan does not say)."""
    groups: tuple[str, ...]
    """The groups guarding the balancer's own interfaces (URNs, as ``Boundary.group``, or the id
    of a group the plan does not build); empty where no group of the plan guards them."""
    addresses: tuple[str, ...]
    """The ranges the balancer sends to its backends from (its own addresses; the clients' where
    it keeps their source addresses)."""
    targets: tuple[str, ...]
    """The ranges its backends lie in."""
    subject: Subject
    backend_protocol: str = "tcp"
    redirects: bool = False
    """It answers requests itself with a redirect to HTTPS (for those it forwards nowhere)."""
    refused: tuple[str, ...] = ()
    """The ranges its blacklist refuses among ``sources``."""
