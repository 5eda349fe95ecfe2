"""The environment's instances (their disks under the disks' key), each in the vSwitch and
availability zone of its address."""

from __future__ import annotations

import pulumi
import pulumi_alicloud as ali

from stacks.model import Host
from stacks.naming import res
from stacks.providers.alicloud.base import AlicloudBase
from stacks.providers.base import CloudNetwork


class Compute(AlicloudBase):
    def instance(
        self, host: Host, net: CloudNetwork, key: pulumi.Output[str], parent: pulumi.Resource
    ) -> pulumi.Resource:
        subnet = net.subnet_of(host)
        instance = ali.ecs.Instance(
            res(self.env, "ecs", host.name),
            instance_name=res(self.env, host.name),
            host_name=host.name,
            instance_type=self.instance_type,
            image_id=self.image_id,
            vswitch_id=subnet.id,
            availability_zone=subnet.availability_zone,
            security_groups=[net.security_groups[host.zone]],
            private_ip=host.address,
            internet_max_bandwidth_out=0,
            system_disk_category="cloud_essd",
            system_disk_encrypted=True,
            system_disk_kms_key_id=key,
            security_enhancement_strategy="Active",
            http_tokens="required",
            deletion_protection=True,
            tags={"mlps:roles": ",".join(host.roles) or "baseline", "mlps:zone": host.zone},
            opts=self._opts(parent),
        )
        self._instances.append((host, instance))
        return instance
