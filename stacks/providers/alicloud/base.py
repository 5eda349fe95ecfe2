"""What every part of the Alibaba Cloud provider shares: the spec's cloud, the provider resource,
the options its resources take."""

from __future__ import annotations

import json
from functools import cached_property
from typing import TYPE_CHECKING

import pulumi
import pulumi_alicloud as ali

from stacks.keys import KEY_PURPOSES, PURPOSE_TAG, KeyPurpose
from stacks.model import DEFAULT_IMAGE, Bucket, Cloud, Host
from stacks.naming import res

if TYPE_CHECKING:
    from stacks.providers.alicloud.front_door import Door

KEEP: dict[str, bool] = {"protect": True, "retain_on_delete": True}
"""Options of what must outlive a mistaken ``pulumi destroy``: audit log stores, KMS keys and
locked buckets (``pulumi destroy`` refuses them; removed from the program, they stay in the cloud)."""
OFFLINE_ACCOUNT = "[account]"
"""The account id an offline synthesis shows in ARNs (no cloud answers the account lookup)."""


def service_trust(service: str) -> str:
    """The trust policy of a RAM role only the cloud service ``service`` may assume."""
    statement = {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"Service": [service]}}
    return json.dumps({"Version": "1", "Statement": [statement]}, sort_keys=True)


def hsm_key(name: str, description: str, opts: pulumi.ResourceOptions, spec: str = "Aliyun_AES_256",
            purpose: str | None = None) -> ali.kms.Key:
    """A KMS key in the hardware module, rotated yearly, protected from deletion (kept: KEEP in
    ``opts``), tagged with what it encrypts (``mlps:purpose``)."""
    return ali.kms.Key(
        name,
        description=description,
        key_usage="ENCRYPT/DECRYPT",
        key_spec=spec,
        tags={PURPOSE_TAG: purpose} if purpose else None,
        protection_level="HSM",
        automatic_rotation="Enabled",
        rotation_interval="8760h",
        pending_window_in_days=30,
        deletion_protection="Enabled",
        opts=opts,
    )


SM4_PURPOSES: frozenset[KeyPurpose] = frozenset({"disks", "buckets", "logs"})
"""Where ``cloud.key_algorithm: sm4`` gives Aliyun_SM4 keys: ECS disks, OSS (KMS with SM4 data
encryption) and SLS (``m4``) take them; ACK's Secrets encryption and HBR's vault are documented
for AES-256 keys and keep them."""


def key_spec(algorithm: str, purpose: KeyPurpose) -> str:
    """The KMS key spec of ``purpose``'s key for the spec's ``cloud.key_algorithm``."""
    return "Aliyun_SM4" if algorithm == "sm4" and purpose in SM4_PURPOSES else "Aliyun_AES_256"


class AlicloudBase:
    """The state the provider's parts share."""

    def __init__(self, cloud: Cloud, env: str, parent: pulumi.Resource) -> None:
        config = pulumi.Config("mlps")
        self.env = env
        self.region = cloud.region
        self.kms = cloud.kms
        self.audit = cloud.audit_trail
        one = config.get("cloudZoneId") or f"{cloud.region}-b"
        self.availability_zones = cloud.availability_zones or (one,)
        self.zone_id = self.availability_zones[0]
        self.instance_type = config.get("instanceType") or "ecs.g7.large"
        # An image outside cloud.approved_images is refused by approved_instance_image (CLD-IMG-01).
        self.image_id = config.get("imageId") or (cloud.approved_images or (DEFAULT_IMAGE,))[0]
        self.deploy_role = cloud.deploy_role_arn
        self.provider = self._region_provider(res(env, "alicloud"), cloud.region, parent)
        self.project_name = res(env, "audit")
        self._cidrs: list[str] = []
        self._zone_cidrs: dict[str, str] = {}
        self._doors: list[Door] = []
        self._access_logs: ali.oss.Bucket | None = None
        self._instances: list[tuple[Host, ali.ecs.Instance]] = []
        self._buckets: list[tuple[Bucket, ali.oss.Bucket]] = []
        self.key_algorithm = cloud.key_algorithm
        self._root = parent
        self._keys: dict[KeyPurpose, pulumi.Output[str]] = {}
        self._trail_store: ali.log.Store | None = None

    def _region_provider(self, name: str, region: str, parent: pulumi.Resource) -> ali.Provider:
        """A provider for ``region``. With ``cloud.deploy_role_arn`` it acts as that RAM role
        (short-lived STS credentials), not as whoever's keys the deploying shell holds."""
        role = self.deploy_role
        return ali.Provider(
            name,
            region=region,
            assume_role=ali.ProviderAssumeRoleArgs(role_arn=role, session_name=res(self.env, "deploy"))
            if role
            else None,
            opts=pulumi.ResourceOptions(parent=parent),
        )

    def encryption_key(self, purpose: KeyPurpose, parent: pulumi.Resource) -> pulumi.Output[str]:
        """The environment's key for ``purpose`` (one per purpose, created on first use under the
        layout's root, kept). The disks' key keeps the name the environment's single key had,
        so a stack built before the keys were split keeps that key for its disks."""
        if purpose not in self._keys:
            aliases = [pulumi.Alias(name=res(self.env, "kms"))] if purpose == "disks" else None
            key = hsm_key(
                res(self.env, "kms", purpose),
                f"{self.env}: {KEY_PURPOSES[purpose]} encrypted at rest",
                self._opts(self._root, aliases=aliases, **KEEP),
                key_spec(self.key_algorithm, purpose),
                purpose,
            )
            self._keys[purpose] = key.id
        return self._keys[purpose]

    def _sm4_data(self) -> str | None:
        """OSS's object encryption under a KMS key: SM4 with the spec's sm4 keys, else AES-256."""
        return "SM4" if self.key_algorithm == "sm4" else None

    def _opts(self, parent: pulumi.Resource, **kw: object) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(parent=parent, provider=self.provider, **kw)  # type: ignore[arg-type]

    @cached_property
    def _account(self) -> pulumi.Output[str]:
        """The account id (``OFFLINE_ACCOUNT`` when no cloud answers), looked up once."""
        found = ali.get_account_output(opts=pulumi.InvokeOutputOptions(provider=self.provider)).id
        return found.apply(lambda a: a or OFFLINE_ACCOUNT)
