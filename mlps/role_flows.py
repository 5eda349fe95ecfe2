"""The flows between zones that the roles' services need, from the one list of roles.

A host of a role serves each of its ``serves`` entries (``mlps/roles.yaml``) to the hosts of the
client groups (``every_host``: all hosts, since every host takes the every-host roles); a flow
goes from each client host's zone to the serving host's zone. The cloud security groups admit
these flows (``stacks/components/network_zones.py``) besides the spec's own, so central logging
and S3 reach their servers across the dedicated lines. Administrative access (SSH from the
bastion) is not a role service: it follows the spec's own flows, which SMC-CEN-02 judges.

A role's ``reaches`` entries name servers outside the roles (the hospital's NTP servers) by the
role variable listing their addresses: each zone with hosts of the role reaches each address.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from mlps.roles import every_host, roles


@dataclass(frozen=True, order=True)
class RoleFlow:
    """One flow a role needs: from a client zone to the zone of a serving host."""

    source: str
    zone: str
    protocol: str
    port: int
    why: str


def role_flows(hosts: Iterable[tuple[str, Iterable[str]]]) -> list[RoleFlow]:
    """Flows between the zones of ``hosts`` ((zone, roles) per host), sorted, each once.

    Flows inside one zone are listed too: a cloud security group may drop traffic between its
    own members unless a rule admits it.
    """
    placed = [(zone, set(taken) | set(every_host())) for zone, taken in hosts]
    flows: set[RoleFlow] = set()
    for role in roles():
        for service in role.serves:
            servers = {zone for zone, taken in placed if role.name in taken}
            clients = {zone for zone, taken in placed
                       if "every_host" in service.clients or taken & set(service.clients)}
            for zone in servers:
                for source in clients:
                    flows.add(RoleFlow(source, zone, service.protocol, service.port,
                                       f"{service.service} to {role.name} ({', '.join(service.clients)})"))
    return sorted(flows)


@dataclass(frozen=True, order=True)
class RoleReach:
    """One flow a role needs to a server outside the roles: from a zone to one server."""

    source: str
    server: str
    protocol: str
    port: int
    why: str


def role_reaches(
    hosts: Iterable[tuple[str, Iterable[str]]], variables: Mapping[str, Mapping[str, Any]]
) -> list[RoleReach]:
    """Flows from the zones of ``hosts`` ((zone, roles) per host) to the servers their roles'
    ``reaches`` entries name in ``variables`` (role name -> that role's variables), sorted; a
    server is as written (an address, or a host name a boundary cannot admit)."""
    placed = [(zone, set(taken) | set(every_host())) for zone, taken in hosts]
    flows: set[RoleReach] = set()
    for role in roles():
        given = variables.get(role.name, {})
        for need in role.reaches:
            if not given.get(need.enabled, False):
                continue
            zones = {zone for zone, taken in placed if role.name in taken}
            for server in given.get(need.servers, []):
                for zone in zones:
                    flows.add(RoleReach(zone, server, need.protocol, need.port,
                                        f"{need.service} from {role.name} to {server}"))
    return sorted(flows)
