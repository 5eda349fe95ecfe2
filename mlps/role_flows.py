"""The flows between zones that the roles' services need, from the one list of roles.

A host of a role serves each of its ``serves`` entries (``mlps/roles.yaml``) to the hosts of the
client groups (``every_host``: all hosts, since every host takes the every-host roles); a flow
goes from each client host's zone to the serving host's zone. The cloud security groups admit
these flows (``stacks/components/network_zones.py``) besides the spec's own, so central logging
and S3 reach their servers across the dedicated lines. Administrative access (SSH from the
bastion) is not a role service: it follows the spec's own flows, which SMC-CEN-02 judges.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

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
