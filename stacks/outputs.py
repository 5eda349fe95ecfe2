"""Stack outputs a user needs after ``pulumi up``: where the inventory is, the hosts' addresses,
the buckets and their endpoints, and the CA that the hospital's S3 endpoint presents."""

from __future__ import annotations

import shlex
from typing import Any

import pulumi
import pulumi_command as command
from cryptography import x509

from stacks.components.object_storage import ObjectStorage
from stacks.known_hosts import KNOWN_HOSTS, render_known_hosts
from stacks.model import Environment

INVENTORY_DIR = "build/stacks"
"""Where ``pulumi up`` leaves ``<stack>/inventory.yml`` and its ``known_hosts`` (project-relative)."""
STORAGE_CA = "~/.mlps/secrets/{env}/object_storage/ca.pem"
"""The storage CA the object_storage role keeps on the controller (docs/object-storage.md)."""

_WRITE = """set -eu
d={dir}
umask 027
mkdir -p "$d"
cat > "$d/inventory.yml.tmp"
printf '%s' "$MLPS_KNOWN_HOSTS" > "$d/{known}.tmp"
mv "$d/inventory.yml.tmp" "$d/inventory.yml"
mv "$d/{known}.tmp" "$d/{known}"
"""


def inventory_path(stack: str) -> str:
    return f"{INVENTORY_DIR}/{stack}/inventory.yml"


def ca_certificate(pem: str | None) -> str:
    """``pem`` when it holds CA certificates only (safe to publish), otherwise ``""``."""
    text = (pem or "").strip()
    if not text or "PRIVATE KEY" in text:
        return ""
    try:
        certs = x509.load_pem_x509_certificates(text.encode())
    except ValueError:
        return ""
    for cert in certs:
        try:
            if not cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca:
                return ""
        except x509.ExtensionNotFound:
            return ""
    return text + "\n"


def _storage_ca(env: Environment, storage: ObjectStorage) -> pulumi.Output[str]:
    """The storage CA read back after the storage play wrote it; exported only if it is one."""
    if storage.play is None:
        return pulumi.Output.from_input("")
    path = STORAGE_CA.format(env=env.name).replace("~", "$HOME", 1)
    read = command.local.Command(
        f"{env.name}-s3-ca",
        create=f'cat "{path}"',
        update=f'cat "{path}"',
        triggers=[storage.play.run.id],
        logging=command.local.Logging.NONE,
        opts=pulumi.ResourceOptions(parent=storage, depends_on=[storage.play]),
    )
    return read.stdout.apply(ca_certificate)


def export_outputs(env: Environment, storage: ObjectStorage, inventory: str, stack: str) -> None:
    """Write the inventory beside its known_hosts and export what a user reads back."""
    directory = f"{INVENTORY_DIR}/{stack}"
    written = command.local.Command(
        f"{env.name}-inventory-file",
        create=_WRITE.format(dir=shlex.quote(directory), known=KNOWN_HOSTS),
        update=_WRITE.format(dir=shlex.quote(directory), known=KNOWN_HOSTS),
        interpreter=["/bin/sh", "-c"],
        stdin=inventory,
        environment={"MLPS_KNOWN_HOSTS": render_known_hosts(env.raw)},
        triggers=[inventory],
        logging=command.local.Logging.NONE,
    )
    buckets: dict[str, Any] = {
        b.name: {"placement": b.placement, "endpoint": storage.endpoints.get(b.name, "")}
        for b in env.buckets
    }
    pulumi.export("inventory", written.id.apply(lambda _: inventory_path(stack)))
    pulumi.export("hosts", {h.name: h.address for h in env.hosts})
    pulumi.export("buckets", buckets)
    pulumi.export("s3_endpoint", storage.endpoint or "")
    pulumi.export("s3_ca_certificate", _storage_ca(env, storage))
