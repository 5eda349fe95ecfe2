"""The API-server audit policy every control plane node uses (K8S-AUDIT-01, CES-AUDIT-01)."""

from __future__ import annotations

from typing import Any

import yaml

AUDIT_POLICY_PATH = "/etc/kubernetes/audit/policy.yaml"
AUDIT_LOG_PATH = "/var/log/kubernetes/audit/audit.log"


def audit_policy() -> dict[str, Any]:
    """audit.k8s.io/v1 Policy: every request by every user is recorded; bodies of secrets never."""
    return {
        "apiVersion": "audit.k8s.io/v1",
        "kind": "Policy",
        "omitStages": ["RequestReceived"],
        "rules": [
            {
                "level": "None",
                "nonResourceURLs": ["/healthz*", "/livez*", "/readyz*", "/version"],
            },
            {
                "level": "Metadata",
                "resources": [
                    {"group": "", "resources": ["secrets", "configmaps", "serviceaccounts/token"]},
                    {"group": "authentication.k8s.io", "resources": ["tokenreviews"]},
                ],
            },
            {
                "level": "RequestResponse",
                "resources": [
                    {
                        "group": "rbac.authorization.k8s.io",
                        "resources": [
                            "roles",
                            "rolebindings",
                            "clusterroles",
                            "clusterrolebindings",
                        ],
                    },
                    {"group": "", "resources": ["pods/exec", "pods/attach", "pods/portforward"]},
                ],
            },
            {
                "level": "Request",
                "verbs": ["create", "update", "patch", "delete", "deletecollection"],
            },
            {"level": "Metadata"},
        ],
    }


def render_audit_policy() -> str:
    """The policy as the YAML file the control-plane role installs at AUDIT_POLICY_PATH."""
    header = "# API-server audit policy (K8S-AUDIT-01, GB/T 22239-2019 8.1.4.3 a)\n"
    return header + yaml.safe_dump(audit_policy(), sort_keys=False, allow_unicode=True)
