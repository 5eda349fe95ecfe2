"""The bastion: the only SSH entry, two-factor login, sessions recorded (Ansible role)."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from stacks.components.ansible import AnsiblePlay, AnsiblePlayArgs
from stacks.model import Environment


@dataclass(frozen=True)
class BastionArgs:
    env: Environment
    inventory: str


class Bastion(pulumi.ComponentResource):
    """ABS-AUDIT-01, CES-AUTH-06, SMC-SYS-01: the bastion hosts of the environment."""

    def __init__(self, name: str, args: BastionArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlps:hosts:Bastion", name, None, opts)
        hosts = [h.name for h in args.env.hosts_with("bastion")]
        AnsiblePlay(
            f"{name}-hosts",
            AnsiblePlayArgs(limit="bastion", inventory=args.inventory),
            pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs({"hosts": hosts})
