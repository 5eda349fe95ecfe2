#!/usr/bin/python
"""Ansible module: one S3 bucket with versioning, object lock and default encryption."""

from __future__ import annotations

import base64
import datetime
import hashlib
import hmac
import http.client
import json
import ssl
import urllib.parse
import xml.etree.ElementTree as ET
from typing import Any

from ansible.module_utils.basic import AnsibleModule

DOCUMENTATION = r"""
module: object_storage_bucket
short_description: Ensure an S3 bucket has versioning, object lock and default encryption
description:
  - Talks S3 (signature version 4) to the local gateway with the Python standard library only,
    so air-gapped hosts need no extra package.
  - Object lock can only be switched on when the bucket is created; an existing bucket without
    it is reported as a failure, never silently accepted.
  - A bucket with object lock keeps no lifecycle rule that expires objects or older versions
    (C(expiry_rules) in the result); such a lifecycle configuration is removed.
options:
  endpoint: {description: Gateway URL, e.g. https://10.30.0.11:8333., required: true, type: str}
  ca_file: {description: CA certificate that signed the gateway certificate., type: str}
  access_key: {description: Access key of the administrative identity., required: true, type: str}
  secret_key: {description: Secret key of that identity., required: true, type: str}
  name: {description: Bucket name., required: true, type: str}
  versioning: {description: Keep every version., type: bool, default: true}
  lock_mode: {description: Default retention mode., type: str, choices: [COMPLIANCE, GOVERNANCE]}
  retention_days: {description: Default retention in days., type: int}
  encryption:
    description: Default encryption.
    type: str
    choices: [sse-s3, none]
    default: sse-s3
  config_admin:
    description:
      - Identity that alone may change the bucket's configuration (versioning, object lock,
        lifecycle, CORS, ACL, encryption, policy, deletion). A bucket policy statement refuses
        these to every other identity, because a workload's C(Write) grant would otherwise let
        it suspend versioning or add an expiry rule. Other statements of the policy are kept.
    type: str
author: mlps
"""
EXAMPLES = r"""
- name: Create a bucket with versioning, 180 days of compliance lock and SSE
  object_storage_bucket:
    endpoint: https://10.30.0.11:8333
    ca_file: /etc/mlps/s3/ca.pem
    access_key: "{{ admin_access_key }}"
    secret_key: "{{ admin_secret_key }}"
    name: pacs-archive
    lock_mode: COMPLIANCE
    retention_days: 180
    config_admin: admin
"""
RETURN = r"""
actions:
  description: >-
    What was or would be changed (create, versioning, object-lock, encryption, lifecycle,
    policy); empty when nothing was.
  type: list
  elements: str
  returned: always
bucket:
  description: >-
    The bucket's settings after the run (exists, versioning, lock_enabled, lock_mode,
    retention_days, encryption, expiry_rules, policy, config_guard), or null when it does not exist.
  type: dict
  returned: always
"""

NS = "{http://s3.amazonaws.com/doc/2006-03-01/}"
REGION = "us-east-1"
GUARD_SID = "MlpsOnlyAdminConfiguresBucket"
GUARDED_ACTIONS = sorted([
    "s3:PutBucketVersioning", "s3:PutBucketObjectLockConfiguration",
    "s3:PutLifecycleConfiguration", "s3:PutBucketCors", "s3:DeleteBucketCors",
    "s3:PutBucketAcl", "s3:PutEncryptionConfiguration", "s3:PutBucketPolicy",
    "s3:DeleteBucketPolicy", "s3:PutBucketNotification", "s3:DeleteBucket",
])


class S3Error(Exception):
    """A non-success answer from the gateway."""

    def __init__(self, status: int, body: str) -> None:
        super().__init__(f"HTTP {status}: {body[:300]}")
        self.status = status
        self.body = body


class S3:
    """Minimal signed S3 client for bucket sub-resources."""

    def __init__(self, endpoint: str, access: str, secret: str, ca_file: str | None) -> None:
        url = urllib.parse.urlsplit(endpoint)
        self.host = url.netloc
        self.https = url.scheme == "https"
        self.ctx = ssl.create_default_context(cafile=ca_file) if self.https else None
        self.access = access
        self.secret = secret

    def _sign(self, key: bytes, msg: str) -> bytes:
        return hmac.new(key, msg.encode(), hashlib.sha256).digest()

    def request(
        self, method: str, path: str, query: str = "", body: bytes = b"",
        headers: dict[str, str] | None = None,
    ) -> tuple[int, str]:
        now = datetime.datetime.now(datetime.timezone.utc)  # noqa: UP017 (hosts may run 3.9)
        amz_date = now.strftime("%Y%m%dT%H%M%SZ")
        day = now.strftime("%Y%m%d")
        payload = hashlib.sha256(body).hexdigest()
        hdrs = {"host": self.host, "x-amz-date": amz_date, "x-amz-content-sha256": payload}
        if body:
            hdrs["content-md5"] = base64.b64encode(hashlib.md5(body, usedforsecurity=False).digest()).decode()
        for key, value in (headers or {}).items():
            hdrs[key.lower()] = value
        names = sorted(hdrs)
        canonical_query = "&".join(
            f"{urllib.parse.quote(k, safe='')}={urllib.parse.quote(v, safe='')}"
            for k, v in sorted(urllib.parse.parse_qsl(query, keep_blank_values=True))
        )
        canonical = "\n".join([
            method, urllib.parse.quote(path), canonical_query,
            "".join(f"{n}:{hdrs[n].strip()}\n" for n in names), ";".join(names), payload,
        ])
        scope = f"{day}/{REGION}/s3/aws4_request"
        to_sign = "\n".join([
            "AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest(),
        ])
        signing = self._sign(("AWS4" + self.secret).encode(), day)
        for part in (REGION, "s3", "aws4_request"):
            signing = self._sign(signing, part)
        signature = hmac.new(signing, to_sign.encode(), hashlib.sha256).hexdigest()
        hdrs["authorization"] = (
            f"AWS4-HMAC-SHA256 Credential={self.access}/{scope}, "
            f"SignedHeaders={';'.join(names)}, Signature={signature}"
        )
        conn: http.client.HTTPConnection
        if self.https:
            conn = http.client.HTTPSConnection(self.host, timeout=30, context=self.ctx)
        else:
            conn = http.client.HTTPConnection(self.host, timeout=30)
        try:
            conn.request(method, path + (f"?{query}" if query else ""), body=body or None,
                         headers={k: v for k, v in hdrs.items() if k != "host"})
            resp = conn.getresponse()
            return resp.status, resp.read().decode(errors="replace")
        finally:
            conn.close()

    def call(self, method: str, path: str, query: str = "", body: bytes = b"",
             headers: dict[str, str] | None = None) -> str:
        status, text = self.request(method, path, query, body, headers)
        if status >= 300:
            raise S3Error(status, text)
        return text


def _find(xml: str, tag: str) -> str | None:
    if not xml.strip():
        return None
    # the reply of the local S3 server this role set up; expat refuses entity expansion bombs
    for elem in ET.fromstring(xml).iter():  # noqa: S314
        if elem.tag in (NS + tag, tag):
            return (elem.text or "").strip()
    return None


def expiry_rules(xml: str) -> list[str]:
    """Ids of the enabled lifecycle rules that expire objects or their older versions."""
    if not xml.strip():
        return []
    found = []
    for rule in ET.fromstring(xml).iter():  # noqa: S314 (the role's own S3 server)
        if rule.tag not in (NS + "Rule", "Rule"):
            continue
        tags = {child.tag.replace(NS, "") for child in rule}
        status = next((c.text for c in rule if c.tag in (NS + "Status", "Status")), "")
        if status == "Enabled" and tags & {"Expiration", "NoncurrentVersionExpiration"}:
            found.append(next((c.text or "" for c in rule if c.tag in (NS + "ID", "ID")), ""))
    return found


def observe(s3: S3, name: str, admin: str | None) -> dict[str, Any] | None:
    """Current settings of the bucket, or None when it does not exist; with ``admin``, also
    whether its policy keeps configuration changes to that identity (``config_guard``)."""
    status, _ = s3.request("HEAD", f"/{name}")
    if status == 404:
        return None
    if status >= 300:
        raise S3Error(status, "HEAD bucket")
    state: dict[str, Any] = {"exists": True}
    state["versioning"] = _find(s3.call("GET", f"/{name}", "versioning="), "Status") == "Enabled"
    code, lock_xml = s3.request("GET", f"/{name}", "object-lock=")
    lock = lock_xml if code < 300 else ""
    state["lock_enabled"] = _find(lock, "ObjectLockEnabled") == "Enabled"
    state["lock_mode"] = _find(lock, "Mode")
    days = _find(lock, "Days")
    state["retention_days"] = int(days) if days else None
    code, enc_xml = s3.request("GET", f"/{name}", "encryption=")
    algo = _find(enc_xml, "SSEAlgorithm") if code < 300 else None
    state["encryption"] = {"AES256": "sse-s3", "aws:kms": "sse-kms"}.get(algo or "", "none")
    code, lifecycle = s3.request("GET", f"/{name}", "lifecycle=")
    state["expiry_rules"] = expiry_rules(lifecycle) if code < 300 else []
    code, policy = s3.request("GET", f"/{name}", "policy=")
    state["policy"] = json.loads(policy) if code < 300 and policy.strip() else None
    if admin:
        state["config_guard"] = guard_in_place(state["policy"], name, admin)
    return state


def guard_statement(name: str, admin: str) -> dict[str, Any]:
    """The policy statement refusing configuration changes to every identity but ``admin``."""
    return {
        "Sid": GUARD_SID, "Effect": "Deny", "Principal": "*", "Action": GUARDED_ACTIONS,
        "Resource": f"arn:aws:s3:::{name}",
        "Condition": {"StringNotEquals": {"aws:username": admin}},
    }


def _normal(statement: dict[str, Any]) -> dict[str, Any]:
    """A statement with one-element lists and strings made comparable."""
    out = dict(statement)
    for key in ("Action", "Resource"):
        value = out.get(key)
        out[key] = sorted([value] if isinstance(value, str) else value or [])
    if out.get("Principal") in ({"AWS": "*"}, {"AWS": ["*"]}):
        out["Principal"] = "*"
    return out


def guard_in_place(policy: dict[str, Any] | None, name: str, admin: str) -> bool:
    statements = (policy or {}).get("Statement", [])
    wanted = _normal(guard_statement(name, admin))
    return any(_normal(s) == wanted for s in statements if s.get("Sid") == GUARD_SID)


def guarded_policy(policy: dict[str, Any] | None, name: str, admin: str) -> bytes:
    """``policy`` with the guard statement put in (other statements kept as they are)."""
    others = [s for s in (policy or {}).get("Statement", []) if s.get("Sid") != GUARD_SID]
    doc = {"Version": "2012-10-17", "Statement": [*others, guard_statement(name, admin)]}
    return json.dumps(doc, sort_keys=True).encode()


def lock_xml(mode: str, days: int) -> bytes:
    return (
        '<ObjectLockConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
        "<ObjectLockEnabled>Enabled</ObjectLockEnabled><Rule><DefaultRetention>"
        f"<Mode>{mode}</Mode><Days>{days}</Days></DefaultRetention></Rule>"
        "</ObjectLockConfiguration>"
    ).encode()


ENCRYPTION_XML = (
    b'<ServerSideEncryptionConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Rule>'
    b"<ApplyServerSideEncryptionByDefault><SSEAlgorithm>AES256</SSEAlgorithm>"
    b"</ApplyServerSideEncryptionByDefault></Rule></ServerSideEncryptionConfiguration>"
)
VERSIONING_XML = (
    b'<VersioningConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
    b"<Status>Enabled</Status></VersioningConfiguration>"
)


def converge(module: AnsibleModule, s3: S3) -> dict[str, Any]:
    """Bring the bucket to the wanted state; return what changed."""
    p = module.params
    name, mode, days, admin = p["name"], p["lock_mode"], p["retention_days"], p["config_admin"]
    before = observe(s3, name, admin)
    actions: list[str] = []
    if before is None:
        actions.append("create")
    else:
        if mode and not before["lock_enabled"]:
            module.fail_json(
                msg=f"bucket {name} exists without object lock; object lock can only be"
                " enabled at creation: move its data to a new bucket", before=before)
        if p["versioning"] and not before["versioning"]:
            actions.append("versioning")
        if mode and (before["lock_mode"], before["retention_days"]) != (mode, days):
            actions.append("object-lock")
        if p["encryption"] == "sse-s3" and before["encryption"] != "sse-s3":
            actions.append("encryption")
        if admin and not before["config_guard"]:
            actions.append("policy")
        if mode and before["expiry_rules"]:
            actions.append("lifecycle")
    if before is None:
        actions += (["versioning"] if p["versioning"] and not mode else []) + (
            ["object-lock"] if mode else []) + (
            ["encryption"] if p["encryption"] == "sse-s3" else []) + (["policy"] if admin else [])
    if module.check_mode or not actions:
        return {"changed": bool(actions), "actions": actions, "bucket": before}
    for action in actions:
        if action == "create":
            extra = {"x-amz-bucket-object-lock-enabled": "true"} if mode else {}
            s3.call("PUT", f"/{name}", headers=extra)
        elif action == "versioning":
            s3.call("PUT", f"/{name}", "versioning=", VERSIONING_XML)
        elif action == "object-lock":
            s3.call("PUT", f"/{name}", "object-lock=", lock_xml(mode, days))
        elif action == "lifecycle":  # an expiry rule on a locked bucket: removed
            s3.call("DELETE", f"/{name}", "lifecycle=")
        elif action == "policy":
            policy = before["policy"] if before else None
            s3.call("PUT", f"/{name}", "policy=", guarded_policy(policy, name, admin))
        else:
            s3.call("PUT", f"/{name}", "encryption=", ENCRYPTION_XML)
    return {"changed": True, "actions": actions, "bucket": observe(s3, name, admin)}


def main() -> None:
    module = AnsibleModule(
        argument_spec={
            "endpoint": {"type": "str", "required": True},
            "ca_file": {"type": "str"},
            "access_key": {"type": "str", "required": True, "no_log": True},
            "secret_key": {"type": "str", "required": True, "no_log": True},
            "name": {"type": "str", "required": True},
            "versioning": {"type": "bool", "default": True},
            "lock_mode": {"type": "str", "choices": ["COMPLIANCE", "GOVERNANCE"]},
            "retention_days": {"type": "int"},
            "encryption": {"type": "str", "choices": ["sse-s3", "none"], "default": "sse-s3"},
            "config_admin": {"type": "str"},
        },
        required_together=[["lock_mode", "retention_days"]],
        supports_check_mode=True,
    )
    p = module.params
    s3 = S3(p["endpoint"], p["access_key"], p["secret_key"], p["ca_file"])
    try:
        module.exit_json(**converge(module, s3))
    except (S3Error, OSError, ET.ParseError, ValueError) as exc:
        module.fail_json(msg=f"bucket {p['name']}: {exc}")


if __name__ == "__main__":
    main()
