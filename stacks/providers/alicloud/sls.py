"""Log stores as every part builds them: encrypted with the environment's KMS key, indexed."""

from __future__ import annotations

import json

import pulumi
import pulumi_alicloud as ali

from stacks.naming import res
from stacks.providers.alicloud.base import KEEP, AlicloudBase, service_trust

KMS_ACTIONS = ("kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey")
"""What SLS does with the key to encrypt a store's data (bring-your-own-key)."""


class LogStores(AlicloudBase):
    _sls_role: ali.ram.Role | None = None

    def _sls_key_role(self, parent: pulumi.Resource) -> ali.ram.Role:
        """The RAM role ``<env>-sls-kms`` SLS assumes to use the environment's log key, created once
        and kept like the stores (without it their records cannot be decrypted)."""
        if self._sls_role is not None:
            return self._sls_role
        key = self.encryption_key("logs", parent)
        name = res(self.env, "sls-kms")
        role = ali.ram.Role(
            name,
            role_name=name,
            assume_role_policy_document=service_trust("log.aliyuncs.com"),
            description=f"{self.env}: SLS encrypts the audit log stores with the environment's key",
            opts=self._opts(parent, **KEEP),
        )
        document = pulumi.Output.all(self._account, key).apply(
            lambda a: json.dumps(
                {
                    "Version": "1",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Action": list(KMS_ACTIONS),
                            "Resource": [f"acs:kms:{self.region}:{a[0]}:key/{a[1]}"],
                        }
                    ],
                },
                sort_keys=True,
            )
        )
        policy = ali.ram.Policy(
            res(self.env, "sls-kms-policy"),
            policy_name=res(self.env, "sls-kms"),
            policy_document=document,
            description=f"{self.env}: use of the environment's key by SLS only",
            opts=self._opts(parent, **KEEP),
        )
        ali.ram.RolePolicyAttachment(
            res(self.env, "sls-kms-attachment"),
            policy_name=policy.policy_name,
            policy_type="Custom",
            role_name=role.role_name,
            opts=self._opts(parent, **KEEP),
        )
        self._sls_role = role
        return role

    def _log_store(
        self,
        name: str,
        project: pulumi.Input[str],
        logstore: str,
        days: int,
        fields: tuple[str, ...],
        parent: pulumi.Resource,
        json_keys: tuple[str, tuple[str, ...]] | None = None,
    ) -> ali.log.Store:
        """Log store ``logstore`` (resource ``name``) kept ``days``, encrypted with the
        environment's KMS key through the SLS role, indexed in full text, on the text ``fields``
        and on the keys of a JSON field (``json_keys``: the field and its keys)."""
        role = self._sls_key_role(parent)
        store = ali.log.Store(
            name,
            project_name=project,
            logstore_name=logstore,
            retention_period=days,
            shard_count=2,
            auto_split=True,
            append_meta=True,
            encrypt_conf=ali.log.StoreEncryptConfArgs(
                enable=True,
                # SM4 ("m4") with the spec's sm4 keys; fixed once the store exists.
                encrypt_type="m4" if self.key_algorithm == "sm4" else "default",
                user_cmk_info=ali.log.StoreEncryptConfUserCmkInfoArgs(
                    cmk_key_id=self.encryption_key("logs", parent),
                    arn=pulumi.Output.concat("acs:ram::", self._account, ":role/", role.role_name),
                    region_id=self.region,
                ),
            ),
            opts=self._opts(parent, **KEEP),
        )
        searches = [
            ali.log.StoreIndexFieldSearchArgs(name=f, type="text", enable_analytics=True) for f in fields
        ]
        if json_keys is not None:
            field, keys = json_keys
            searches.append(
                ali.log.StoreIndexFieldSearchArgs(
                    name=field,
                    type="json",
                    enable_analytics=True,
                    json_keys=[ali.log.StoreIndexFieldSearchJsonKeyArgs(name=k, type="text") for k in keys],
                )
            )
        ali.log.StoreIndex(
            f"{name}-index",
            project=store.project_name,
            logstore=store.logstore_name,
            full_text=ali.log.StoreIndexFullTextArgs(case_sensitive=False, include_chinese=True),
            field_searches=searches,
            opts=self._opts(parent),
        )
        return store
