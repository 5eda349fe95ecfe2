"""Dedicated lines: BGP + BFD parameters to the edge routers' role, passwords as secrets."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from stacks.components.ansible import AnsiblePlay, AnsiblePlayArgs
from stacks.model import Environment
from stacks.secrets import secret_map, secret_value

PASSWORDS_VAR = "link_failover_bgp_passwords"
"""Role variable (line name → TCP MD5 password) fed by the spec's ``links[].bgp.password``."""


@dataclass(frozen=True)
class LinkFailoverArgs:
    env: Environment
    inventory: str


class LinkFailover(pulumi.ComponentResource):
    """CNS-REDUN-01, CNS-FAILOVER-01, CNS-ROUTE-01: primary and backup lines with fast failover."""

    def __init__(self, name: str, args: LinkFailoverArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlps:network:LinkFailover", name, None, opts)
        self.passwords: dict[str, pulumi.Output[str]] = {
            link.name: secret_value(link.password, f"{name}-{link.name}-bgp-password", self)
            for link in args.env.links
        }
        """Each line's BGP password, by line name: the one secret both ends of the line use."""
        AnsiblePlay(
            f"{name}-edges",
            AnsiblePlayArgs(limit="link_failover", inventory=args.inventory,
                            secret_vars={PASSWORDS_VAR: secret_map(self.passwords)}),
            pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs(
            {
                "lines": [f"{link.name}:{link.role}" for link in args.env.links],
                "detection_ms": [link.bfd_interval_ms * link.bfd_multiplier for link in args.env.links],
            }
        )
