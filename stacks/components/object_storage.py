"""Object storage: S3 on the hospital's hosts (Ansible) and buckets in the cloud."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi

from stacks.capabilities import own_storage
from stacks.components.ansible import AnsiblePlay, AnsiblePlayArgs
from stacks.components.workload import S3Target
from stacks.model import Environment
from stacks.providers.base import CloudProvider
from stacks.secrets import secret_map, secret_value

S3_PORT = 8333
KEY_VAR = "object_storage_encryption_key"
"""Role variable fed by the spec's ``object_storage.encryption_key`` (the SSE-S3 KEK)."""
IDENTITY_KEYS_VAR = "object_storage_identity_keys"
"""Role variable (identity → {access_key, secret_key}) of the workloads' S3 credentials."""


@dataclass(frozen=True)
class ObjectStorageArgs:
    env: Environment
    inventory: str
    cloud: CloudProvider | None = None


class ObjectStorage(pulumi.ComponentResource):
    """CES-INT-02, CES-CONF-01/02, CES-BAK-04: versioned, locked, encrypted buckets over TLS."""

    def __init__(
        self, name: str, args: ObjectStorageArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("mlps:storage:ObjectStorage", name, None, opts)
        env = args.env
        self.targets: dict[str, S3Target] = {}
        self.endpoints: dict[str, pulumi.Input[str]] = {}
        """Bucket name → S3 endpoint its clients use."""
        self.endpoint: str | None = None
        """The hospital's own S3 endpoint (TLS), when storage hosts exist."""
        self.play: AnsiblePlay | None = None
        servers = env.hosts_with("object_storage")
        if servers:
            scheme = "https" if env.storage_tls else "http"
            endpoint = f"{scheme}://{servers[0].address}:{S3_PORT}"
            self.endpoint = endpoint
            self.endpoints.update({b.name: endpoint for b in env.buckets if own_storage(env, b)})
            identities: dict[str, pulumi.Input[Any]] = {}
            for w in env.local_s3_workloads():
                if w.bucket is None:
                    raise ValueError(f"workload {w.name} uses local S3 but names no bucket")
                access = secret_value(None, f"{name}-{w.name}-access-key", self, "access_key")
                secret = secret_value(None, f"{name}-{w.name}-secret-key", self, "secret_key")
                identities[w.name] = pulumi.Output.all(access_key=access, secret_key=secret)
                self.targets[w.name] = S3Target(str(w.bucket), endpoint, "local", access, secret)
            secrets: dict[str, pulumi.Input[Any]] = {
                KEY_VAR: secret_value(env.storage_key, f"{name}-encryption-key", self, "hex256"),
                IDENTITY_KEYS_VAR: secret_map(identities),
            }
            self.play = AnsiblePlay(
                f"{name}-servers",
                AnsiblePlayArgs(limit="object_storage", inventory=args.inventory, secret_vars=secrets),
                pulumi.ResourceOptions(parent=self),
            )
        if args.cloud is not None:
            for bucket in env.buckets:
                if not own_storage(env, bucket):
                    oss = args.cloud.bucket(bucket, args.cloud.encryption_key("buckets", self), self)
                    self.endpoints[bucket.name] = oss.intranet_endpoint.apply(
                        lambda host: f"https://{host}" if host else ""
                    )
        self.register_outputs({"buckets": [b.name for b in env.buckets]})
