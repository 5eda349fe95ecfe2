"""Where the plan builds (GB/T 22239-2019 8.2.1.1, 8.2.2.1 b, 8.2.4.4 a), judged on neutral facts so
that they hold for every cloud: each cloud in a mainland-China region (CLD-LOC-01), each instance in the
environment's own network without a public address (CLD-NET-01), booting an image the spec
approves (CLD-IMG-01)."""

from __future__ import annotations

from collections.abc import Iterator

from policy.facts.model import Facts, Subject
from policy.policies.environment.base import EnvironmentPolicy, Found


def _name(subject: Subject) -> str:
    return subject.pointer.rsplit("::", 1)[-1]


def _regions(facts: Facts, level: int) -> Iterator[Found]:
    for cloud in facts.clouds:
        if not cloud.mainland:
            yield cloud.subject, (
                "CLD-LOC-01",
                f"cloud provider {_name(cloud.subject)} targets region {cloud.region or '(unset)'}, "
                "outside mainland China",
            )


def _networks(facts: Facts, level: int) -> Iterator[Found]:
    for instance in facts.instances:
        if not instance.placed:
            yield instance.subject, ("CLD-NET-01", f"instance {instance.name} is not placed in the "
                                                   "environment's own network")
        if instance.public_address:
            yield instance.subject, ("CLD-NET-01", f"instance {instance.name} has a public address")


def _images(facts: Facts, level: int) -> Iterator[Found]:
    for instance in facts.instances:
        image = instance.image or "(no image)"
        if facts.approved_images is None:
            yield instance.subject, ("CLD-IMG-01", f"instance {instance.name} boots {image} but no "
                                                   "approved image list is declared (cloud.approved_images)")
        elif instance.image not in facts.approved_images:
            yield instance.subject, ("CLD-IMG-01", f"instance {instance.name} boots {image}, not one "
                                                   f"of the approved images {list(facts.approved_images)}")


CHINA_REGION = EnvironmentPolicy(
    name="china_region",
    description="Every cloud the plan builds in is a mainland-China region.",
    controls=("CLD-LOC-01",),
    levels=(2, 3, 4),
    check=_regions,
)

INSTANCE_NETWORK = EnvironmentPolicy(
    name="instance_isolated_network",
    description="Instances sit in the environment's own network without a public address.",
    controls=("CLD-NET-01",),
    levels=(2, 3, 4),
    check=_networks,
)

APPROVED_IMAGE = EnvironmentPolicy(
    name="approved_instance_image",
    description="Cloud instances boot only an image on the spec's approved list.",
    controls=("CLD-IMG-01",),
    levels=(2, 3, 4),
    check=_images,
)
