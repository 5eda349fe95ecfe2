"""alicloud:ecs/instance:Instance — boots an image the spec approves (CLD-IMG-01)."""

from __future__ import annotations

from collections.abc import Iterator

from policy.policies.base import PlanGraph, PlanPolicy, PlanResource, Violation


def _check(instance: PlanResource, graph: PlanGraph) -> Iterator[Violation]:
    image = str(instance.props.get("imageId") or "")
    if graph.approved_images is None:
        yield ("CLD-IMG-01", f"instance {instance.name} boots {image or '(no image)'} but no approved "
                             "image list is declared (cloud.approved_images)")
    elif image not in graph.approved_images:
        yield ("CLD-IMG-01", f"instance {instance.name} boots {image or '(no image)'}, not one of the "
                             f"approved images {list(graph.approved_images)}")


APPROVED_IMAGE = PlanPolicy(
    name="approved_instance_image",
    description="Cloud instances boot only an image on the spec's approved list.",
    controls=("CLD-IMG-01",),
    levels=(2, 3, 4),
    types=("alicloud:ecs/instance:Instance",),
    check=_check,
)

POLICIES = (APPROVED_IMAGE,)
