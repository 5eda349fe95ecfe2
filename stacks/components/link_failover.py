"""Dedicated lines: BGP + BFD parameters to the edge routers' role, passwords as secrets."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from stacks.components.ansible import AnsiblePlay, AnsiblePlayArgs
from stacks.model import Environment
from stacks.secrets import secret_value


@dataclass(frozen=True)
class LinkFailoverArgs:
    env: Environment
    inventory: str


class LinkFailover(pulumi.ComponentResource):
    """CNS-REDUN-01, CNS-FAILOVER-01, CNS-ROUTE-01: primary and backup lines with fast failover."""

    def __init__(self, name: str, args: LinkFailoverArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlps:network:LinkFailover", name, None, opts)
        secrets: dict[str, pulumi.Input[str]] = {}
        for link in args.env.links:
            var = f"link_failover_bgp_password_{link.name.replace('-', '_')}"
            secrets[var] = secret_value(link.password, f"{name}-{link.name}-bgp-password", self)
        AnsiblePlay(
            f"{name}-edges",
            AnsiblePlayArgs(limit="link_failover", inventory=args.inventory, secret_vars=secrets),
            pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs(
            {
                "lines": [f"{link.name}:{link.role}" for link in args.env.links],
                "detection_ms": [link.bfd_interval_ms * link.bfd_multiplier for link in args.env.links],
            }
        )
