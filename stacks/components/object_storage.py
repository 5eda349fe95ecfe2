"""Object storage: S3 on the hospital's hosts (Ansible) and buckets in the cloud."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from stacks.components.ansible import AnsiblePlay, AnsiblePlayArgs
from stacks.components.workload import S3Target
from stacks.model import Environment
from stacks.providers.base import CloudProvider
from stacks.secrets import secret_value

S3_PORT = 8333


@dataclass(frozen=True)
class ObjectStorageArgs:
    env: Environment
    inventory: str
    cloud: CloudProvider | None = None
    key: pulumi.Output[str] | None = None


class ObjectStorage(pulumi.ComponentResource):
    """CES-INT-02, CES-CONF-01/02, CES-BAK-04: versioned, locked, encrypted buckets over TLS."""

    def __init__(
        self, name: str, args: ObjectStorageArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("mlps:storage:ObjectStorage", name, None, opts)
        env = args.env
        self.targets: dict[str, S3Target] = {}
        servers = env.hosts_with("object_storage")
        if servers:
            secrets: dict[str, pulumi.Input[str]] = {
                "object_storage_encryption_key": secret_value(env.storage_key, f"{name}-encryption-key", self)
            }
            scheme = "https" if env.storage_tls else "http"
            endpoint = f"{scheme}://{servers[0].address}:{S3_PORT}"
            for w in env.workloads:
                if w.bucket is None or w.placement != "onprem":
                    continue
                ident = w.name.replace("-", "_")
                access = secret_value(None, f"{name}-{w.name}-access-key", self)
                secret = secret_value(None, f"{name}-{w.name}-secret-key", self)
                secrets[f"object_storage_identity_{ident}_access_key"] = access
                secrets[f"object_storage_identity_{ident}_secret_key"] = secret
                self.targets[w.name] = S3Target(w.bucket, endpoint, "local", access, secret)
            AnsiblePlay(
                f"{name}-servers",
                AnsiblePlayArgs(limit="object_storage", inventory=args.inventory, secret_vars=secrets),
                pulumi.ResourceOptions(parent=self),
            )
        if args.cloud is not None and args.key is not None:
            for bucket in env.buckets:
                if bucket.placement == "cloud":
                    args.cloud.bucket(bucket, args.key, self)
        self.register_outputs({"buckets": [b.name for b in env.buckets]})
