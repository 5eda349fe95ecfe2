"""Host work: ``ansible-playbook`` on a group of the generated inventory, run by pulumi-command."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_command as command

from stacks.known_hosts import render_known_hosts
from stacks.naming import digest

PLAYBOOK = "playbooks/site.yml"

# The inventory and the spec's known_hosts go side by side in a private directory: the
# inventory points ssh at "{{ inventory_dir }}/known_hosts" with strict host key checking.
_SCRIPT = """set -eu
d=$(mktemp -d) && trap 'rm -rf "$d"' EXIT
cat > "$d/inventory.yml"
printf '%s' "$MLPS_KNOWN_HOSTS" > "$d/known_hosts"
printf '%s' "$MLPS_SECRET_VARS" > "$d/vars.yml"
ANSIBLE_CONFIG=ansible.cfg ANSIBLE_HOST_KEY_CHECKING=True \\
  ansible-playbook -i "$d/inventory.yml" -e "@$d/vars.yml" --limit '{limit}' {playbook}
"""


@dataclass(frozen=True)
class AnsiblePlayArgs:
    """Which hosts (an inventory pattern) and with what: inventory YAML and secret extra vars."""

    limit: str
    inventory: str
    secret_vars: dict[str, pulumi.Input[Any]] = field(default_factory=dict)
    playbook: str = PLAYBOOK


class AnsiblePlay(pulumi.ComponentResource):
    """One ``ansible-playbook`` run: inventory on stdin, secret vars through the environment."""

    def __init__(self, name: str, args: AnsiblePlayArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("mlps:hosts:AnsiblePlay", name, None, opts)
        # Output.all() of no input is a list; ansible-playbook -e @FILE takes a mapping only.
        joined: pulumi.Output[str] = pulumi.Output.all(**args.secret_vars).apply(
            lambda v: render_secret_vars(v or {})
        )
        secrets: pulumi.Output[str] = pulumi.Output.secret(joined)
        script = _SCRIPT.format(limit=args.limit, playbook=args.playbook)
        known_hosts = render_known_hosts(_inventory_spec(args.inventory))
        self.run = command.local.Command(
            f"{name}-run",
            create=script,
            update=script,
            interpreter=["/bin/sh", "-c"],
            stdin=args.inventory,
            environment={"MLPS_SECRET_VARS": secrets, "MLPS_KNOWN_HOSTS": known_hosts},
            triggers=[digest(args.inventory), args.limit, *sorted(args.secret_vars)],
            logging=command.local.Logging.STDOUT_AND_STDERR,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs({"limit": args.limit})


def render_secret_vars(values: dict[str, Any]) -> str:
    """The secret extra variables as YAML, every string ``!unsafe``: a secret's text (a BGP
    password holding ``{{``) is a value, never a template run on the controller."""
    from stacks.inventory import dump_inventory, mark_unsafe  # stacks.inventory imports the components

    return dump_inventory(mark_unsafe(values))


def _inventory_spec(inventory: str) -> dict[str, Any]:
    """The public spec the generated inventory carries (``all.vars.mlps_spec``)."""
    from stacks.inventory import load_inventory  # stacks.inventory imports the components

    data = load_inventory(inventory) or {}
    spec = data.get("all", {}).get("vars", {}).get("mlps_spec", {})
    return spec if isinstance(spec, dict) else {}
