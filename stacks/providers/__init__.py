"""Cloud providers behind one small interface; layouts never name a cloud SDK."""

from __future__ import annotations

import pulumi

from stacks.model import Cloud
from stacks.providers.alicloud import Alicloud
from stacks.providers.base import CloudProvider, ProviderFactory
from stacks.providers.openstack import OpenStack

PROVIDERS: dict[str, ProviderFactory] = {"alicloud": Alicloud, "openstack": OpenStack}
"""Provider class per value of the spec's ``/cloud/provider`` (the schema's enum)."""


def cloud_provider(cloud: Cloud, env: str, parent: pulumi.Resource) -> CloudProvider:
    """The provider named in the spec's ``/cloud/provider``."""
    return PROVIDERS[cloud.provider](cloud, env, parent)


__all__ = ["PROVIDERS", "CloudProvider", "cloud_provider"]
