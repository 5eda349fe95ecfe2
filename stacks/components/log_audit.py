"""Central log audit: audit servers configured by Ansible, the cloud's log store beside them."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from stacks.components.ansible import AnsiblePlay, AnsiblePlayArgs
from stacks.model import Environment
from stacks.providers.base import CloudProvider, ManagedLogStore


@dataclass(frozen=True)
class LogAuditArgs:
    env: Environment
    inventory: str
    cloud: CloudProvider | None = None


class LogAudit(pulumi.ComponentResource):
    """SMC-CEN-04/05: audit records kept centrally for the spec's retention (≥ 180 days)."""

    log_project: pulumi.Output[str] | None = None

    def __init__(self, name: str, args: LogAuditArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlps:logs:LogAudit", name, None, opts)
        if isinstance(args.cloud, ManagedLogStore):  # else the audit servers keep them (stacks.capabilities)
            self.log_project = args.cloud.log_store(args.env.log_retention_days, self)
        if args.env.hosts_with("log_audit_server"):
            AnsiblePlay(
                f"{name}-servers",
                AnsiblePlayArgs(limit="log_audit_server", inventory=args.inventory),
                pulumi.ResourceOptions(parent=self),
            )
        self.register_outputs({"retention_days": args.env.log_retention_days})
