"""CLD-IMG-01 end to end: instances boot the spec's first approved image; another is a finding."""

from __future__ import annotations

from pathlib import Path

import yaml
from synthfix import ROOT, modified

from mlps.controls import catalog
from mlps.spec import load_spec
from mlps.synth.checks import run_policies
from mlps.synth.mockrun import run_program
from mlps.synth.run import spec_plan_graph, synthesize_spec
from stacks.program import build

VM = "alicloud:ecs/instance:Instance"


def _plan(images: list[str] | None, config: dict[str, str]) -> tuple[list[str], list[str]]:
    def change(d: dict) -> None:  # type: ignore[type-arg]
        if images is not None:
            d["cloud"]["approved_images"] = images

    spec = modified("cloud-dev", change)
    regs = run_program(lambda: build(spec), "mlps", "cloud-dev", config)
    check = run_policies(spec_plan_graph(regs, spec), catalog())
    vms = [r.inputs["imageId"] for r in regs if r.type == VM]
    assert vms
    return vms, [f.control for f in check.findings]


def test_default_image_is_approved_and_used() -> None:
    vms, findings = _plan(None, {})
    assert set(vms) == {"debian_12_9_x64_20G_alibase_20250117.vhd"} and findings == []


def test_instances_boot_the_first_approved_image() -> None:
    vms, findings = _plan(["hospital-debian12-v3", "hospital-debian12-v2"], {})
    assert set(vms) == {"hospital-debian12-v3"} and findings == []


def test_an_image_from_config_outside_the_list_is_a_finding() -> None:
    vms, findings = _plan(["hospital-debian12-v3"], {"mlps:imageId": "centos-7"})
    assert set(vms) == {"centos-7"}
    assert findings == ["CLD-IMG-01"] * len(vms)
    vms, findings = _plan(["hospital-debian12-v3", "centos-7"], {"mlps:imageId": "centos-7"})
    assert findings == []


def test_synth_reads_the_stack_files_other_settings_as_pulumi_up_does(tmp_path: Path) -> None:
    """An image picked in the stack file (``mlps:imageId``) and not on the approved list is the
    finding ``pulumi preview`` would give, not a pass; an encrypted setting is left out."""
    data = yaml.safe_load((ROOT / "Pulumi.cloud-dev.yaml").read_text(encoding="utf-8"))
    data["config"]["mlps:imageId"] = "m-unvetted-image"
    data["config"]["mlps:kubeconfig"] = {"secure": "v1:c2FsdA==:Y2lwaGVy"}
    stack = tmp_path / "Pulumi.cloud-dev.yaml"
    stack.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    spec = load_spec(stack)
    assert spec.stack_config == {"mlps:imageId": "m-unvetted-image"}
    result = synthesize_spec(spec, ROOT, "cloud-dev")
    assert {r.inputs["imageId"] for r in result.registrations if r.type == VM} == {"m-unvetted-image"}
    assert [f.control for f in result.findings] == ["CLD-IMG-01"] * len(
        [r for r in result.registrations if r.type == VM])
