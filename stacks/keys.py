"""The purposes of the environment's keys: one key per purpose, so that disabling, rotating or
granting one key touches one kind of data (CLD-KMS-01); the tag naming a key's purpose."""

from __future__ import annotations

from typing import Literal

KeyPurpose = Literal["disks", "buckets", "secrets", "logs", "backup"]
KEY_PURPOSES: dict[KeyPurpose, str] = {
    "disks": "instance and node disks",
    "buckets": "bucket objects",
    "secrets": "Kubernetes Secrets",
    "logs": "audit, trail and flow log stores",
    "backup": "backup vault",
}
"""Each purpose and what its key encrypts."""
PURPOSE_TAG = "mlps:purpose"
"""The tag naming what a cloud key encrypts."""
