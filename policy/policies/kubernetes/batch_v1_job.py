"""kubernetes:batch/v1:Job — containers hardened per Pod Security restricted (K8S-PSS-01)."""

from __future__ import annotations

from policy.policies.kubernetes.pods import hardened_containers

POLICIES = (hardened_containers("Job", "kubernetes:batch/v1:Job"),)
