"""Host work: ``ansible-playbook`` on a group of the generated inventory, run by pulumi-command."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import pulumi
import pulumi_command as command

from stacks.naming import digest

PLAYBOOK = "playbooks/site.yml"

_SCRIPT = """set -eu
inv=$(mktemp) && vars=$(mktemp) && trap 'rm -f "$inv" "$vars"' EXIT
cat > "$inv"
printf '%s' "$MLPS_SECRET_VARS" > "$vars"
ANSIBLE_CONFIG=ansible.cfg ansible-playbook -i "$inv" -e "@$vars" --limit '{limit}' {playbook}
"""


@dataclass(frozen=True)
class AnsiblePlayArgs:
    """Which hosts (an inventory pattern) and with what: inventory YAML and secret extra vars."""

    limit: str
    inventory: str
    secret_vars: dict[str, pulumi.Input[str]] = field(default_factory=dict)
    playbook: str = PLAYBOOK


class AnsiblePlay(pulumi.ComponentResource):
    """One ``ansible-playbook`` run: inventory on stdin, secret vars through the environment."""

    def __init__(self, name: str, args: AnsiblePlayArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlps:hosts:AnsiblePlay", name, None, opts)
        joined: pulumi.Output[str] = pulumi.Output.all(**args.secret_vars).apply(
            lambda v: json.dumps(v, sort_keys=True)
        )
        secrets: pulumi.Output[str] = pulumi.Output.secret(joined)
        script = _SCRIPT.format(limit=args.limit, playbook=args.playbook)
        self.run = command.local.Command(
            f"{name}-run",
            create=script,
            update=script,
            interpreter=["/bin/sh", "-c"],
            stdin=args.inventory,
            environment={"MLPS_SECRET_VARS": secrets},
            triggers=[digest(args.inventory), args.limit, *sorted(args.secret_vars)],
            logging=command.local.Logging.STDOUT_AND_STDERR,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs({"limit": args.limit})
