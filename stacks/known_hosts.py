"""Host keys Ansible trusts: the known_hosts written beside the generated inventory.

Each spec host's ``ssh_host_key`` and the spec's host certificate authorities
(``baseline.ssh.host_certificate_authorities``) become known_hosts lines; the inventory makes
ssh check every host against them (then the operator's own ~/.ssh/known_hosts) and refuse a
host whose key differs, before any task or secret reaches it.
"""

from __future__ import annotations

from typing import Any

KNOWN_HOSTS = "known_hosts"

# Connection settings of the generated inventory: this module's own text, templated by Ansible
# on purpose ({{ inventory_dir }} is the directory the inventory was read from).
CONNECTION_VARS: dict[str, Any] = {
    "ansible_ssh_common_args": '-o "UserKnownHostsFile={{ inventory_dir }}/'
    + KNOWN_HOSTS
    + ' ~/.ssh/known_hosts" -o StrictHostKeyChecking=yes',
    "ansible_ssh_host_key_checking": True,
}


def render_known_hosts(spec: dict[str, Any]) -> str:
    """known_hosts from a spec (or the inventory's ``mlps_spec``): each host's key under its
    name and address, and each host CA for all the spec's host names and addresses."""
    lines = []
    patterns = []
    for host in spec.get("hosts", []):
        names = f"{host['name']},{host['address']}"
        patterns.append(names)
        if host.get("ssh_host_key"):
            lines.append(f"{names} {host['ssh_host_key']}\n")
    cas = spec.get("baseline", {}).get("ssh", {}).get("host_certificate_authorities", [])
    if patterns:
        lines += [f"@cert-authority {','.join(patterns)} {ca}\n" for ca in cas]
    return "".join(lines)
