"""kubernetes:batch/v1:CronJob — containers hardened per Pod Security restricted (K8S-PSS-01)."""

from __future__ import annotations

from policy.policies.kubernetes.pods import hardened_containers

POLICIES = (hardened_containers("CronJob", "kubernetes:batch/v1:CronJob"),)
