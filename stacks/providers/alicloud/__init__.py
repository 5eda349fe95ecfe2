"""Alibaba Cloud (pulumi-alicloud): mainland-China regions only.

The provider is one class assembled from its parts: network (with the front door of the zones
the internet reaches), compute, storage and audit, ACK, RAM identity, backup, detection, the
cloud end of the dedicated lines.
"""

from __future__ import annotations

from stacks.providers.alicloud.ack import Ack, ack_release
from stacks.providers.alicloud.audit import Audit
from stacks.providers.alicloud.backup import Backups
from stacks.providers.alicloud.base import KEEP
from stacks.providers.alicloud.compute import Compute
from stacks.providers.alicloud.detection import Detection
from stacks.providers.alicloud.identity import Identity
from stacks.providers.alicloud.lines import Lines
from stacks.providers.alicloud.network import Network
from stacks.providers.alicloud.storage import tls_only_policy

__all__ = ["KEEP", "Alicloud", "ack_release", "tls_only_policy"]


class Alicloud(Network, Compute, Audit, Ack, Identity, Backups, Detection, Lines):
    """CloudProvider for Alibaba Cloud."""
